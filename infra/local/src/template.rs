//! What the local runner needs from `template.yaml`: each function's HTTP routes (and whether
//! the JWT authorizer guards them), queue subscriptions and schedules, and each queue's name
//! and redrive limit.

use serde_norway::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// Guarded by the JWT authorizer (the API's default) unless `Auth.Authorizer` is `NONE`.
    pub authorized: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The queue's name without the stack prefix (`seller-events`).
    pub queue: String,
    pub batch_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub logical_id: String,
    pub routes: Vec<Route>,
    pub subscriptions: Vec<Subscription>,
    pub schedules: Vec<Schedule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub logical_id: String,
    pub name: String,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receives: Option<u32>,
    pub visibility_timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub functions: Vec<Function>,
    pub queues: Vec<Queue>,
}

/// Lines one local delivery of the activity log hands over (the port's receive limit).
const MAX_LOG_BATCH: u32 = ports::queue::MAX_BATCH;

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Tagged(tagged) => text(Some(&tagged.value)),
        _ => None,
    }
}

fn number(value: Option<&Value>) -> Option<u64> {
    text(value)?.parse().ok()
}

/// `!Sub "${AWS::StackName}-seller-events"` → `seller-events` (queue and schedule names).
fn queue_name(value: Option<&Value>) -> Option<String> {
    let raw = text(value)?;
    Some(raw.strip_prefix("${AWS::StackName}-").unwrap_or(&raw).to_owned())
}

/// `!GetAtt SellerEventsQueue.Arn` → `SellerEventsQueue`.
fn referenced_resource(value: Option<&Value>) -> Option<String> {
    let raw = text(value)?;
    Some(raw.split('.').next().unwrap_or_default().to_owned())
}

impl Template {
    pub fn parse(yaml: &str) -> Result<Template, String> {
        let document: Value = serde_norway::from_str(yaml).map_err(|e| format!("template.yaml: {e}"))?;
        let resources =
            document.get("Resources").and_then(Value::as_mapping).ok_or("template.yaml has no Resources")?;
        let mut template = Template::default();
        for (id, resource) in resources {
            let Some(id) = id.as_str() else { continue };
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or_default();
            let properties = resource.get("Properties");
            if kind == "AWS::SQS::Queue" {
                let properties = properties.ok_or_else(|| format!("{id} has no Properties"))?;
                template.queues.push(Queue {
                    logical_id: id.to_owned(),
                    name: queue_name(properties.get("QueueName")).ok_or_else(|| format!("{id} has no QueueName"))?,
                    max_receives: number(properties.get("RedrivePolicy").and_then(|r| r.get("maxReceiveCount")))
                        .and_then(|n| u32::try_from(n).ok()),
                    visibility_timeout_secs: number(properties.get("VisibilityTimeout")).unwrap_or(30),
                });
            }
        }
        for (id, resource) in resources {
            let Some(id) = id.as_str() else { continue };
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let mut function =
                Function { logical_id: id.to_owned(), routes: vec![], subscriptions: vec![], schedules: vec![] };
            let events = resource.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping);
            for (event_name, event) in events.into_iter().flatten() {
                let properties = event.get("Properties");
                let field = |name: &str| properties.and_then(|p| p.get(name));
                match event.get("Type").and_then(Value::as_str).unwrap_or_default() {
                    "HttpApi" => function.routes.push(Route {
                        method: text(field("Method"))
                            .ok_or_else(|| format!("{id}: an HttpApi event without Method"))?
                            .to_uppercase(),
                        path: text(field("Path")).ok_or_else(|| format!("{id}: an HttpApi event without Path"))?,
                        authorized: text(field("Auth").and_then(|a| a.get("Authorizer"))).as_deref() != Some("NONE"),
                    }),
                    "SQS" => {
                        let logical = referenced_resource(field("Queue"))
                            .ok_or_else(|| format!("{id}: an SQS event without Queue"))?;
                        let queue = template.queues.iter().find(|q| q.logical_id == logical).ok_or_else(|| {
                            format!("{id} subscribes to {logical}, which the template does not declare")
                        })?;
                        function.subscriptions.push(Subscription {
                            queue: queue.name.clone(),
                            batch_size: number(field("BatchSize")).and_then(|n| u32::try_from(n).ok()).unwrap_or(10),
                        });
                    }
                    // The runner has no log service: its own queue stands in for every log
                    // group's subscription (see `ports::activity`).
                    "CloudWatchLogs" => {
                        if !template.queues.iter().any(|q| q.name == ports::ACTIVITY_QUEUE) {
                            template.queues.push(Queue {
                                logical_id: ports::ACTIVITY_QUEUE.into(),
                                name: ports::ACTIVITY_QUEUE.into(),
                                max_receives: None,
                                visibility_timeout_secs: 30,
                            });
                        }
                        if !function.subscriptions.iter().any(|s| s.queue == ports::ACTIVITY_QUEUE) {
                            function
                                .subscriptions
                                .push(Subscription { queue: ports::ACTIVITY_QUEUE.into(), batch_size: MAX_LOG_BATCH });
                        }
                    }
                    "Schedule" | "ScheduleV2" => function.schedules.push(Schedule {
                        name: queue_name(field("Name")).unwrap_or_else(|| text(Some(event_name)).unwrap_or_default()),
                        expression: text(field("Schedule").or(field("ScheduleExpression"))).unwrap_or_default(),
                    }),
                    _ => {}
                }
            }
            template.functions.push(function);
        }
        Ok(template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_routes_queues_and_subscriptions() {
        let yaml = r#"
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-work"
      RedrivePolicy: { deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 4 }
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get:
          Type: HttpApi
          Properties: { ApiId: !Ref HttpApi, Method: get, Path: "/things/{id}", Auth: { Authorizer: NONE } }
        Post:
          Type: HttpApi
          Properties: { ApiId: !Ref HttpApi, Method: POST, Path: /things }
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Work:
          Type: SQS
          Properties: { Queue: !GetAtt WorkQueue.Arn, BatchSize: 5 }
        Nightly:
          Type: ScheduleV2
          Properties: { ScheduleExpression: "cron(0 3 * * ? *)" }
"#;
        let template = Template::parse(yaml).expect("parses");
        assert_eq!(
            template.queues,
            [Queue {
                logical_id: "WorkQueue".into(),
                name: "work".into(),
                max_receives: Some(4),
                visibility_timeout_secs: 30
            }]
        );
        let api = &template.functions[0];
        assert_eq!(api.routes[0], Route { method: "GET".into(), path: "/things/{id}".into(), authorized: false });
        assert!(api.routes[1].authorized);
        let worker = &template.functions[1];
        assert_eq!(worker.subscriptions, [Subscription { queue: "work".into(), batch_size: 5 }]);
        assert_eq!(worker.schedules, [Schedule { name: "Nightly".into(), expression: "cron(0 3 * * ? *)".into() }]);
    }
}
