//! Configuration a function reads from its environment once per cold start.

/// The JSON variable `name` as `parse` reads it, or `T::default()` when it is unset or blank.
/// A value that does not parse stops the function as it starts: a misconfigured deployment
/// fails its first invocation (and its alarm) rather than quietly deciding with defaults.
pub fn json_or_default<T: Default>(name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> T {
    match std::env::var(name) {
        Ok(json) if !json.trim().is_empty() => parse(&json).unwrap_or_else(|e| panic!("{name} is not valid: {e}")),
        _ => T::default(),
    }
}
