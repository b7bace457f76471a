//! `docs/openapi.yaml` describes exactly the routes of `template.yaml`, with the same
//! authorization. (The replies themselves are checked against it in every end-to-end test.)

use std::collections::BTreeSet;

#[test]
fn documents_exactly_the_served_routes() {
    let template = local_runner::repository_template().expect("template.yaml parses");
    let served: BTreeSet<(String, String)> =
        template.functions.iter().flat_map(|f| f.routes.iter().map(|r| (r.method.clone(), r.path.clone()))).collect();
    let documented: BTreeSet<(String, String)> = acceptance::openapi::spec().operations().into_iter().collect();
    assert_eq!(
        documented.difference(&served).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented, not served"
    );
    assert_eq!(
        served.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "served, not documented"
    );
}

#[test]
fn public_routes_are_documented_as_public() {
    let spec = acceptance::openapi::spec();
    let template = local_runner::repository_template().expect("template.yaml parses");
    for route in template.functions.iter().flat_map(|f| &f.routes) {
        let operation = spec.operation(&route.method, &route.path).expect("documented");
        let public = operation.get("security").and_then(|s| s.as_array()).is_some_and(|s| s.is_empty());
        assert_eq!(
            public, !route.authorized,
            "{} {}: the document and the authorizer disagree",
            route.method, route.path
        );
    }
}
