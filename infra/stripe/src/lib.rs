//! The payment provider port on Stripe (R-PAY): a PaymentIntent per order, refunds of it.
//! Every call is form-encoded, sends only the parameters it needs, pins the API version, and
//! carries our own id as its `Idempotency-Key`, so a retried order or refund finds what the
//! first call made instead of charging or refunding twice. A refusal of the request (4xx) is
//! the provider's answer; a failure to get one (transport, 429, 5xx) leaves the outcome
//! unknown, for the caller to ask again under the same key.
//!
//! Payouts do not go through Stripe: sellers and trade-in customers are paid by SEPA credit
//! transfer from the marketplace's bank account (`MARKETPLACE_PAYOUTS=sepa`).

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ports::{PaymentError, PaymentProvider, PayoutAccount};
use serde_json::Value;

/// The HTTP methods of [`StripePayments::call`].
pub mod hyper_method {
    pub use hyper::Method;
    pub const GET: Method = Method::GET;
    pub const POST: Method = Method::POST;
}

/// The API version every request is written for.
pub const API_VERSION: &str = "2024-06-20";

/// How long a call may take before its outcome counts as unknown.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Stripe's API, or a stand-in such as localstripe.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

pub struct StripePayments {
    base: String,
    secret_key: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Stripe's payment method type for the order's method.
fn method_type(method: &str) -> &'static str {
    match method {
        "paypal" => "paypal",
        "klarna" => "klarna",
        _ => "card",
    }
}

impl StripePayments {
    /// A client of `base` (`https://api.stripe.com`, or `http://` for a local stand-in) with
    /// the account's secret key. The system's root certificates are read once, here.
    pub fn new(base: &str, secret_key: &str) -> Result<Self, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("no root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self { base: base.trim_end_matches('/').to_owned(), secret_key: secret_key.to_owned(), client })
    }

    /// One API call: `form` as the body of a POST (the query of a GET), the answer's JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        idempotency_key: Option<&str>,
        form: &[(&str, &str)],
    ) -> Result<Value, PaymentError> {
        let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let (uri, body) = match method {
            Method::GET if !encoded.is_empty() => (format!("{}{path}?{encoded}", self.base), String::new()),
            Method::GET => (format!("{}{path}", self.base), String::new()),
            _ => (format!("{}{path}", self.base), encoded),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.secret_key))
            .header("stripe-version", API_VERSION)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| PaymentError::Unavailable(format!("request not built: {e}")))?;
        let exchange = async {
            let response =
                self.client.request(request).await.map_err(|e| PaymentError::Unavailable(format!("Stripe: {e}")))?;
            let status = response.status();
            let body = response.into_body().collect().await;
            let bytes =
                body.map_err(|e| PaymentError::Unavailable(format!("Stripe's answer was cut: {e}")))?.to_bytes();
            Ok::<_, PaymentError>((status, bytes))
        };
        // An answer that does not come is an unknown outcome: the caller asks again, same key.
        let (status, bytes) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| PaymentError::Unavailable(format!("Stripe did not answer within {TIMEOUT:?}")))??;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let message = json["error"]["message"].as_str().unwrap_or("no message").to_owned();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(PaymentError::Unavailable(format!("Stripe answered {status}: {message}")));
        }
        Err(PaymentError::Refused(format!("Stripe refused ({status}): {message}")))
    }
}

#[async_trait]
impl PaymentProvider for StripePayments {
    async fn create_intent(
        &self,
        order_id: &str,
        amount_minor: i64,
        currency: &str,
        method: &str,
    ) -> Result<String, PaymentError> {
        let amount = amount_minor.to_string();
        let currency = currency.to_ascii_lowercase();
        let form = [
            ("amount", amount.as_str()),
            ("currency", currency.as_str()),
            ("payment_method_types[]", method_type(method)),
            ("metadata[order_id]", order_id),
        ];
        let intent = self.call(Method::POST, "/v1/payment_intents", Some(&format!("intent-{order_id}")), &form).await?;
        let id = intent["id"].as_str().ok_or_else(|| PaymentError::Unavailable("an intent without an id".into()))?;
        // The same key answers with the first intent: check it is for this payment.
        if intent["amount"].as_i64() != Some(amount_minor) || intent["metadata"]["order_id"].as_str() != Some(order_id)
        {
            return Err(PaymentError::Refused(format!("{id} exists for another payment")));
        }
        Ok(id.to_owned())
    }

    async fn refund(
        &self,
        intent_id: &str,
        refund_id: &str,
        amount_minor: i64,
        _currency: &str,
    ) -> Result<(), PaymentError> {
        if amount_minor <= 0 {
            return Err(PaymentError::Refused(format!("a refund of {amount_minor} is not a refund")));
        }
        let amount = amount_minor.to_string();
        let form = [("payment_intent", intent_id), ("amount", amount.as_str()), ("metadata[refund_id]", refund_id)];
        self.call(Method::POST, "/v1/refunds", Some(&format!("refund-{refund_id}")), &form).await.map(|_| ())
    }

    async fn payout(
        &self,
        payout_id: &str,
        _account: &PayoutAccount,
        _amount_minor: i64,
        _currency: &str,
    ) -> Result<(), PaymentError> {
        tracing::error!(payout_id, "a payout was asked of Stripe: payouts go by the SEPA rail");
        Err(PaymentError::Refused("payouts go by SEPA credit transfer (MARKETPLACE_PAYOUTS=sepa)".into()))
    }
}
