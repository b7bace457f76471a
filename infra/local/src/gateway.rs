//! What API Gateway does in front of the functions: routes from the template, the JWT
//! authorizer on guarded routes (401 without a valid token), and the request context with the
//! verified claims, exactly where `lambda_http` puts it in Lambda.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use edge::Problem;
use lambda_http::request::RequestContext;
use ports::Clock;
use tower::ServiceExt;

use crate::template::Route;
use crate::tokens::Tokens;

#[derive(Clone)]
pub struct Gateway {
    pub tokens: Arc<Tokens>,
    pub clock: Arc<dyn Clock>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

fn context(
    route: &Route,
    request: &Request,
    claims: Option<std::collections::HashMap<String, String>>,
) -> RequestContext {
    let mut context = serde_json::json!({
        "routeKey": format!("{} {}", route.method, route.path),
        "accountId": "000000000000",
        "stage": "$default",
        "requestId": ulid::Ulid::generate().to_string(),
        "apiId": "local",
        "domainName": "localhost",
        "time": "",
        "timeEpoch": 0,
        "http": {
            "method": request.method().as_str(),
            "path": request.uri().path(),
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": request.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default(),
        },
    });
    if let Some(claims) = claims {
        context["authorizer"] = serde_json::json!({ "jwt": { "claims": claims, "scopes": null } });
    }
    RequestContext::ApiGatewayV2(serde_json::from_value(context).expect("the request context is well formed"))
}

/// The JWT authorizer: a guarded route needs a valid token (401 otherwise, before the
/// function runs); the verified claims go into the request context.
fn authorize(gateway: &Gateway, route: &Route, mut request: Request) -> Result<Request, Problem> {
    let claims = if route.authorized {
        let verified = bearer(request.headers()).map(|token| gateway.tokens.verify(token, gateway.clock.now()));
        match verified {
            Some(Ok(claims)) => Some(claims),
            _ => return Err(Problem::unauthorized()),
        }
    } else {
        // Routes without the authorizer get no claims, as in API Gateway.
        None
    };
    let context = context(route, &request, claims);
    request.extensions_mut().insert(context);
    Ok(request)
}

/// The routes of one path template, by method.
#[derive(Default)]
struct PathRoutes {
    methods: Vec<(Arc<Route>, Router)>,
}

/// Matches a request against the template's routes as API Gateway does, then hands it to the
/// function's own router, which routes it again exactly as it does in Lambda.
pub struct Dispatcher {
    gateway: Gateway,
    paths: matchit::Router<usize>,
    routes: Vec<PathRoutes>,
}

impl Dispatcher {
    pub fn new(gateway: Gateway, functions: Vec<(Route, Router)>) -> Result<Dispatcher, String> {
        let mut paths = matchit::Router::new();
        let mut routes: Vec<PathRoutes> = Vec::new();
        let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
        for (route, router) in functions {
            let index = match index_of.get(&route.path) {
                Some(index) => *index,
                None => {
                    let index = routes.len();
                    paths.insert(route.path.clone(), index).map_err(|e| format!("route {}: {e}", route.path))?;
                    index_of.insert(route.path.clone(), index);
                    routes.push(PathRoutes::default());
                    index
                }
            };
            if routes[index].methods.iter().any(|(r, _)| r.method == route.method) {
                return Err(format!("{} {} is declared twice", route.method, route.path));
            }
            routes[index].methods.push((Arc::new(route), router));
        }
        Ok(Dispatcher { gateway, paths, routes })
    }

    pub async fn dispatch(&self, request: Request) -> Response {
        let Ok(matched) = self.paths.at(request.uri().path()) else {
            return Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response();
        };
        let methods = &self.routes[*matched.value].methods;
        let Some((route, router)) = methods.iter().find(|(r, _)| r.method == request.method().as_str()) else {
            return Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
            .into_response();
        };
        match authorize(&self.gateway, route, request) {
            Ok(request) => match router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            },
            Err(problem) => problem.into_response(),
        }
    }
}
