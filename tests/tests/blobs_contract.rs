//! The Blobs contract, on a folder and on S3 (the emulator `make test` starts).

use ports::{Blob, Blobs, BlobsError};

fn csv(text: &str) -> Blob {
    Blob { bytes: text.as_bytes().to_vec(), content_type: "text/csv".into() }
}

async fn put_get_list(blobs: &dyn Blobs) {
    assert_eq!(blobs.get("statements/sel_1/2026-10.csv").await, Ok(None));
    blobs.put("statements/sel_1/2026-10.csv", csv("a,b\n")).await.expect("put");
    blobs.put("statements/sel_1/2026-11.csv", csv("c,d\n")).await.expect("put");
    blobs.put("statements/sel_2/2026-10.csv", csv("e\n")).await.expect("put");
    blobs.put("statements/sel_1/2026-10.csv", csv("replaced\n")).await.expect("overwrite");
    assert_eq!(blobs.get("statements/sel_1/2026-10.csv").await, Ok(Some(csv("replaced\n"))));
    assert_eq!(
        blobs.list("statements/sel_1/").await,
        Ok(vec!["statements/sel_1/2026-10.csv".to_owned(), "statements/sel_1/2026-11.csv".to_owned()])
    );
    assert_eq!(blobs.list("reports/").await, Ok(vec![]));
}

async fn refuses_unsafe_keys(blobs: &dyn Blobs) {
    for key in ["", "../etc/passwd", "a//b", "a/./b", "/abs", "with space"] {
        assert!(matches!(blobs.put(key, csv("x")).await, Err(BlobsError::InvalidKey(_))), "{key:?}");
    }
}

acceptance::on_both_adapters!(
    embedded: acceptance::embedded_blobs(),
    aws: acceptance::aws_blobs().await,
    cases: [put_get_list, refuses_unsafe_keys]
);
