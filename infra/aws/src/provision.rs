//! Creates the resources the template declares, for an emulator or a fresh account in
//! tests and in the local runner's AWS mode. Deployed stacks get them from `template.yaml`.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use ports::Index;

fn boxed(e: impl std::error::Error + Send + Sync + 'static) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(e)
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The single table: `pk`/`sk`, indexes `gsi1` and `gsi2`, on-demand billing.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    let string = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(boxed)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(boxed)
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string("pk")?)
        .attribute_definitions(string("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?);
    for index in Index::SECONDARY {
        let (pk, sk) = index.key_attributes();
        request =
            request.attribute_definitions(string(pk)?).attribute_definitions(string(sk)?).global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name().unwrap_or_default())
                    .key_schema(key(pk, KeyType::Hash)?)
                    .key_schema(key(sk, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(boxed)?,
            );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(()),
        Err(e) => Err(boxed(e)),
    }
}

pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String> {
    let mut request = client.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
    }
    Ok(request.send().await.map_err(boxed)?.queue_url().unwrap_or_default().to_owned())
}

pub async fn create_bucket(client: &aws_sdk_s3::Client, name: &str) -> Result<()> {
    let mut request = client.create_bucket().bucket(name);
    // Outside us-east-1, S3 wants the bucket's region stated.
    if let Some(region) = client.config().region().map(|r| r.to_string()).filter(|r| r != "us-east-1") {
        let location = aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str());
        request = request.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(location).build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => Ok(()),
        Err(e) => Err(boxed(e)),
    }
}
