//! `docs/openapi.yaml`, held to what is served: every reply the end-to-end tests receive must
//! be a documented status of a documented operation, with a body that fits its schema.

use std::sync::OnceLock;

use serde_json::Value;

pub struct Spec {
    pub document: Value,
    paths: matchit::Router<String>,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.yaml");
        let text = std::fs::read_to_string(&path).expect("docs/openapi.yaml");
        let document: Value = serde_norway::from_str(&text).expect("the OpenAPI document is YAML");
        let mut paths = matchit::Router::new();
        for template in document["paths"].as_object().expect("paths").keys() {
            paths.insert(template.clone(), template.clone()).expect("distinct path templates");
        }
        Spec { document, paths }
    })
}

impl Spec {
    /// The documented operations: (method, path template).
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut operations = Vec::new();
        for (path, item) in self.document["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()) {
                operations.push((method, path.clone()));
            }
        }
        operations
    }

    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.document["paths"][template].get(method.to_lowercase())
    }

    /// Follows a local `$ref`.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/")) {
            Some(pointer) => self.document.pointer(&format!("/{pointer}")).expect("a $ref that resolves"),
            None => value,
        }
    }

    fn check_problem(&self, body: &Value) {
        self.validate(&serde_json::json!({"$ref": "#/components/schemas/Problem"}), body, "a problem");
    }

    fn validate(&self, schema: &Value, body: &Value, what: &str) {
        let mut root = schema.clone();
        root["components"] = self.document["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema of {what} does not compile: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{what} does not fit docs/openapi.yaml: {errors:?}\n{body}");
    }

    /// Panics unless the reply is documented and fits its schema.
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: Option<&str>, body: &Value) {
        // Outside the document, only "no such endpoint" (404) and "no such method" (405).
        let Ok(matched) = self.paths.at(path) else {
            assert_eq!(status, 404, "{method} {path} is not in docs/openapi.yaml but answered {status}");
            return self.check_problem(body);
        };
        let template = matched.value;
        let Some(operation) = self.operation(method, template) else {
            assert_eq!(status, 405, "{method} {template} is not documented but answered {status}");
            return self.check_problem(body);
        };
        let response = operation["responses"]
            .get(status.to_string())
            .map(|r| self.resolve(r))
            .unwrap_or_else(|| panic!("{method} {template} answered {status}, which is not documented: {body}"));
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(body.is_null(), "{method} {template} {status} documents no body but sent {body}");
            return;
        };
        let essence = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim();
        let media = content
            .get(essence)
            .unwrap_or_else(|| panic!("{method} {template} {status} sent {essence}, not documented"));
        // Only JSON bodies have a schema to check (a CSV statement is text).
        if !essence.ends_with("json") {
            return;
        }
        let mut root = media["schema"].clone();
        root["components"] = self.document["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema of {method} {template} {status} does not compile: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{method} {path} {status} does not fit docs/openapi.yaml: {errors:?}\n{body}");
    }
}
