//! What trade-in asks of the outside world about a device: whether it is reported lost,
//! stolen or blocklisted (a registry such as the GSMA's, behind [`DeviceCheck`]), and a
//! prepaid shipping label to send it with ([`Labels`]). The sandbox adapters answer from
//! configuration and a hash, the same way every time, so a retried request gets the same
//! label.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    #[error("the device service is unavailable: {0}")]
    Unavailable(String),
}

/// A device's standing in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Clear,
    /// Reported lost or stolen, or otherwise blocklisted.
    Blocklisted,
}

#[async_trait]
pub trait DeviceCheck: Send + Sync {
    async fn check(&self, imei: &str) -> Result<Standing, DeviceError>;
}

/// The sandbox registry: the IMEIs it lists are blocklisted (`MARKETPLACE_DEVICE_BLOCKLIST`,
/// comma-separated), every other one is clear.
#[derive(Debug, Clone, Default)]
pub struct SandboxDeviceCheck {
    listed: Vec<String>,
}

impl SandboxDeviceCheck {
    pub fn new(listed: impl IntoIterator<Item = String>) -> Self {
        Self { listed: listed.into_iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect() }
    }

    /// From `MARKETPLACE_DEVICE_BLOCKLIST`.
    pub fn from_env() -> Self {
        Self::from_env_and([])
    }

    /// From `MARKETPLACE_DEVICE_BLOCKLIST`, with `also` listed too (the local runner's demo).
    pub fn from_env_and(also: impl IntoIterator<Item = String>) -> Self {
        let listed = std::env::var("MARKETPLACE_DEVICE_BLOCKLIST").unwrap_or_default();
        Self::new(listed.split(',').map(str::to_owned).chain(also))
    }
}

#[async_trait]
impl DeviceCheck for SandboxDeviceCheck {
    async fn check(&self, imei: &str) -> Result<Standing, DeviceError> {
        Ok(if self.listed.iter().any(|l| l == imei) { Standing::Blocklisted } else { Standing::Clear })
    }
}

/// A prepaid label, as the carrier issues it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingLabel {
    pub carrier: String,
    pub tracking: String,
    pub url: String,
}

#[async_trait]
pub trait Labels: Send + Sync {
    /// The label for `shipment_id` (the same label again for the same id), from a customer
    /// in `from_country` to the seller `to_seller`.
    async fn label(&self, shipment_id: &str, from_country: &str, to_seller: &str)
    -> Result<ShippingLabel, DeviceError>;
}

/// The sandbox carrier: a tracking number derived from the shipment id.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxLabels;

#[async_trait]
impl Labels for SandboxLabels {
    async fn label(
        &self,
        shipment_id: &str,
        _from_country: &str,
        _to_seller: &str,
    ) -> Result<ShippingLabel, DeviceError> {
        let digest = Sha256::digest(shipment_id.as_bytes());
        let number: u64 = digest.iter().take(8).fold(0, |n, b| (n << 8) | u64::from(*b)) % 10_000_000_000;
        let tracking = format!("SBX{number:010}");
        Ok(ShippingLabel {
            carrier: "sandbox".into(),
            url: format!("https://labels.sandbox.example/{tracking}.pdf"),
            tracking,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sandbox_lists_what_it_is_told() {
        let check = SandboxDeviceCheck::new(["490154203237518".to_owned(), " ".to_owned()]);
        assert_eq!(check.check("490154203237518").await, Ok(Standing::Blocklisted));
        assert_eq!(check.check("352099001761481").await, Ok(Standing::Clear));
        let one = SandboxLabels.label("ti_1", "FR", "sel_1").await.expect("a label");
        assert_eq!(one, SandboxLabels.label("ti_1", "FR", "sel_1").await.expect("a label"), "the same again");
        assert_ne!(one.tracking, SandboxLabels.label("ti_2", "FR", "sel_1").await.expect("a label").tracking);
        assert!(one.tracking.starts_with("SBX") && one.tracking.len() == 13);
    }
}
