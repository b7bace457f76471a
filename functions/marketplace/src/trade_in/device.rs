//! Which device is traded in: a phone's or a tablet's IMEI (15 digits, the last a Luhn check
//! digit), or a serial number for devices that have none (laptops, consoles). The identifier
//! is personal data (it follows its owner): it is kept on the trade-in and in the register,
//! never in a log.

use serde::{Deserialize, Serialize};

/// A device's identifier, as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum DeviceId {
    Imei(String),
    Serial(String),
}

impl DeviceId {
    /// The IMEI or serial as written in the register.
    pub fn value(&self) -> &str {
        match self {
            Self::Imei(v) | Self::Serial(v) => v,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Imei(_) => "IMEI",
            Self::Serial(_) => "serial number",
        }
    }
}

/// An IMEI with its spaces and dashes removed, if it is 15 digits whose Luhn sum is right.
pub fn imei(input: &str) -> Result<String, &'static str> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be an IMEI of 15 digits (dial *#06# to show it)");
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    if !sum.is_multiple_of(10) {
        return Err("is not a valid IMEI: its check digit does not match (dial *#06# to show it)");
    }
    Ok(digits)
}

/// A serial number: 6 to 30 letters and digits, upper-cased.
pub fn serial(input: &str) -> Result<String, &'static str> {
    let serial: String = input.trim().to_ascii_uppercase();
    if !(6..=30).contains(&serial.len()) || !serial.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("must be the device's serial number: 6 to 30 letters and digits");
    }
    Ok(serial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imei_passes_the_luhn_check() {
        assert_eq!(imei("490154203237518"), Ok("490154203237518".into()));
        assert_eq!(imei("35-209900-176148-1"), Ok("352099001761481".into()));
        assert!(imei("490154203237519").is_err(), "a wrong check digit");
        assert!(imei("49015420323751").is_err(), "14 digits");
        assert!(imei("49015420323751A").is_err());
        assert!(imei("").is_err());
    }

    #[test]
    fn a_serial_is_letters_and_digits() {
        assert_eq!(serial(" c02xk0abjg5j "), Ok("C02XK0ABJG5J".into()));
        assert!(serial("ab12").is_err());
        assert!(serial("C02X-K0AB").is_err());
    }
}
