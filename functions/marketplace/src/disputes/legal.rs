//! The dispute-resolution route per market (`GET /legal/dispute-resolution`), from
//! configuration: the amicable route with its time limits, the competent consumer mediator
//! (ADR entity), and the courts' rule of the marketplace's terms. The EU online
//! dispute-resolution platform closed on 20 July 2025 (Regulation (EU) 2024/3228): it is
//! neither named nor linked, and a configured mediator website pointing at it is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::DisputeTerms;

/// A consumer mediator (an ADR entity under Directive 2013/11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mediator {
    pub name: String,
    pub website: String,
    pub how_to_file: String,
}

/// The mediators by market (upper-case ISO 3166-1 alpha-2), and the words for the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mediators {
    pub countries: BTreeMap<String, Mediator>,
    pub fallback: Mediator,
}

/// The courts' rule of the marketplace's terms.
pub const COURTS: &str = "If mediation is not wanted or does not succeed, the buyer may bring the case before the \
     competent court of the place where the buyer lived when the contract was concluded or when the harmful \
     event occurred, of the place where the platform is established, or of the place where the product was \
     actually delivered.";

fn mediator(name: &str, website: &str, how: &str) -> Mediator {
    Mediator { name: name.into(), website: website.into(), how_to_file: how.into() }
}

impl Default for Mediators {
    /// The mediators the marketplace's contract names, per market. Replace them with the
    /// entities of the operator's own ADR contracts (`MARKETPLACE_MEDIATORS`).
    fn default() -> Self {
        let how = "File online, free of charge, once your case with the platform is escalated, attaching your \
                   case file; mediators take a case up to one year after the written complaint (your case).";
        let countries = [
            ("FR", mediator("Médiateur du e-commerce de la FEVAD", "https://www.mediateurfevad.fr", how)),
            ("BE", mediator("Service de Médiation pour le Consommateur", "https://mediationconsommateur.be", how)),
            ("NL", mediator("De Geschillencommissie", "https://www.degeschillencommissie.nl", how)),
            ("DE", mediator("Universalschlichtungsstelle des Bundes", "https://www.verbraucher-schlichter.de", how)),
            ("ES", mediator("Junta Arbitral Nacional de Consumo", "https://www.consumo.gob.es", how)),
            ("IT", mediator("RisolviOnline (Camera Arbitrale di Milano)", "https://www.risolvionline.com", how)),
        ]
        .into_iter()
        .map(|(code, m)| (code.to_owned(), m))
        .collect();
        Mediators {
            countries,
            fallback: mediator(
                "The consumer ADR entity of your country",
                "https://www.eccnet.eu",
                "Your European Consumer Centre (ECC-Net) names the competent entity and helps you file, free of charge.",
            ),
        }
    }
}

/// A website a mediator may not have: the closed EU ODR platform.
fn is_closed_odr(url: &str) -> bool {
    let url = url.to_ascii_lowercase();
    url.contains("ec.europa.eu/consumers/odr") || url.contains("/odr/") || url.ends_with("/odr")
}

impl Mediators {
    /// The defaults with the configured markets laid over them.
    pub fn from_json(json: &str) -> Result<Mediators, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Config {
            #[serde(default)]
            countries: BTreeMap<String, Mediator>,
            fallback: Option<Mediator>,
        }
        let config: Config = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut mediators = Mediators::default();
        for (code, m) in config.countries {
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("{code:?} is not an ISO 3166-1 alpha-2 country code"));
            }
            mediators.countries.insert(code.to_ascii_uppercase(), m);
        }
        if let Some(fallback) = config.fallback {
            mediators.fallback = fallback;
        }
        for m in mediators.countries.values().chain([&mediators.fallback]) {
            if !m.website.starts_with("https://") {
                return Err(format!("{}: the website is an https:// address", m.name));
            }
            if is_closed_odr(&m.website) {
                return Err(format!("{}: the EU ODR platform closed in July 2025", m.name));
            }
        }
        Ok(mediators)
    }

    pub fn for_market(&self, code: &str) -> &Mediator {
        self.countries.get(&code.to_ascii_uppercase()).unwrap_or(&self.fallback)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Market {
    pub market: String,
    pub amicable_route: String,
    pub mediator: Mediator,
    pub courts: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisputeResolution {
    pub markets: Vec<Market>,
    pub other_markets: Market,
    pub terms: DisputeTerms,
}

/// The page, for every configured market and the others.
pub fn page(mediators: &Mediators, terms: &DisputeTerms) -> DisputeResolution {
    let amicable = format!(
        "First, ask the seller for help from your order (\"Get help\"). If the seller does not answer within {help} \
         business days, or you do not agree with its answer, or once your order line is delivered, refunded or \
         cancelled, open a case with the platform from your order (POST /orders/{{id}}/disputes). The seller must \
         answer within {seller} business days; the platform decides within {resolve} business days: a refund \
         (never more than you paid), a replacement, or no action, with its reasons. If you do not accept the \
         decision, or none came in time, escalate the case: it closes and you receive the consumer mediator's \
         details and your case file.",
        help = terms.help_unanswered_business_days,
        seller = terms.seller_answer_business_days,
        resolve = terms.resolution_business_days,
    );
    let market = |code: &str, m: &Mediator| Market {
        market: code.to_owned(),
        amicable_route: amicable.clone(),
        mediator: m.clone(),
        courts: COURTS,
    };
    DisputeResolution {
        markets: mediators.countries.iter().map(|(code, m)| market(code, m)).collect(),
        other_markets: market("*", &mediators.fallback),
        terms: *terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_market_has_a_mediator_and_none_is_the_closed_platform() {
        let mediators = Mediators::default();
        let page = page(&mediators, &DisputeTerms::default());
        let json = serde_json::to_string(&page).expect("json");
        assert!(!json.to_ascii_lowercase().contains("odr"), "{json}");
        assert_eq!(mediators.for_market("fr").name, "Médiateur du e-commerce de la FEVAD");
        assert_eq!(mediators.for_market("PT"), &mediators.fallback);
        assert!(page.markets.iter().all(|m| m.amicable_route.contains("3 business days")));
        let closed = r#"{"countries": {"PT": {"name": "x", "website": "https://ec.europa.eu/consumers/odr", "howToFile": "x"}}}"#;
        assert!(Mediators::from_json(closed).is_err());
        let plain = r#"{"countries": {"PT": {"name": "x", "website": "http://x.example", "howToFile": "x"}}}"#;
        assert!(Mediators::from_json(plain).is_err());
        let ok = r#"{"countries": {"pt": {"name": "Centro de Arbitragem", "website": "https://www.cniacc.pt", "howToFile": "Online."}}}"#;
        assert_eq!(Mediators::from_json(ok).expect("valid").for_market("PT").name, "Centro de Arbitragem");
    }
}
