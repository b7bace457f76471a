//! The Queue contract, on the in-process queue and on SQS (the emulator `make test` starts).

use std::sync::Arc;
use std::time::Duration;

use ports::{MovableClock, Queue, QueueError};

const NOW: Duration = Duration::ZERO;
const HIDE: Duration = Duration::from_secs(1);
/// Long enough that no stall of a loaded machine makes a hidden message visible again.
const LONG: Duration = Duration::from_secs(30);

/// A queue and how time passes for it: the embedded queue reads a movable clock, which the
/// test moves; SQS keeps real time, so the test waits, and asks again until the state it
/// waits for is there (a bounded number of times) rather than trusting one sleep.
struct Subject {
    queue: Arc<dyn Queue>,
    clock: Option<Arc<MovableClock>>,
}

impl Subject {
    async fn pass(&self, d: Duration) {
        match &self.clock {
            Some(clock) => clock.advance(jiff::SignedDuration::try_from(d).expect("a short duration")),
            None => tokio::time::sleep(d).await,
        }
    }

    /// Receives until something comes, at most about a minute of waiting.
    async fn receive_eventually(&self, name: &str, hide: Duration) -> Vec<ports::Message> {
        for _ in 0..300 {
            let batch = self.queue.receive(name, 10, hide).await.expect("receive");
            if !batch.is_empty() {
                return batch;
            }
            self.pass(Duration::from_millis(200)).await;
        }
        panic!("nothing arrived on {name}");
    }
}

fn embedded_subject() -> Subject {
    let clock = Arc::new(MovableClock::default());
    Subject { queue: Arc::new(acceptance::embedded_queue_with_clock(clock.clone())), clock: Some(clock) }
}

async fn aws_subject() -> Option<Subject> {
    Some(Subject { queue: Arc::new(acceptance::aws_queue().await?), clock: None })
}

async fn send_receive_delete(subject: &Subject) {
    let queue = subject.queue.as_ref();
    queue.send("work", r#"{"n":1}"#, NOW, None).await.expect("send");
    let batch = queue.receive("work", 10, LONG).await.expect("receive");
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].body.as_str(), batch[0].receive_count), (r#"{"n":1}"#, 1));
    assert!(queue.receive("work", 10, LONG).await.expect("receive").is_empty(), "in flight: hidden");
    queue.delete("work", &batch[0].receipt).await.expect("delete");
}

async fn redelivers_what_is_not_deleted(subject: &Subject) {
    let queue = subject.queue.as_ref();
    queue.send("work", "again", NOW, None).await.expect("send");
    let first = queue.receive("work", 10, HIDE).await.expect("receive");
    assert_eq!(first.len(), 1);
    subject.pass(HIDE).await;
    let second = subject.receive_eventually("work", LONG).await;
    assert_eq!((second[0].id.as_str(), second[0].receive_count), (first[0].id.as_str(), 2));
    queue.delete("work", &second[0].receipt).await.expect("delete");
    subject.pass(HIDE + Duration::from_millis(300)).await;
    assert!(queue.receive("work", 10, HIDE).await.expect("receive").is_empty(), "deleted: never again");
}

async fn delays_delivery(subject: &Subject) {
    let queue = subject.queue.as_ref();
    queue.send("work", "later", Duration::from_secs(20), None).await.expect("send");
    assert!(queue.receive("work", 10, HIDE).await.expect("receive").is_empty(), "not yet due");
    subject.pass(Duration::from_secs(20)).await;
    let batch = subject.receive_eventually("work", HIDE).await;
    assert_eq!(batch.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["later"]);
}

async fn fifo_drops_repeated_dedup_ids(subject: &Subject) {
    let queue = subject.queue.as_ref();
    queue.send("work.fifo", "first", NOW, Some("order-1-paid")).await.expect("send");
    queue.send("work.fifo", "repeat", NOW, Some("order-1-paid")).await.expect("send repeat");
    queue.send("work.fifo", "second", NOW, Some("order-2-paid")).await.expect("send");
    let mut bodies = Vec::new();
    for _ in 0..3 {
        for message in queue.receive("work.fifo", 10, Duration::from_secs(30)).await.expect("receive") {
            bodies.push(message.body.clone());
            queue.delete("work.fifo", &message.receipt).await.expect("delete");
        }
    }
    assert_eq!(bodies, ["first", "second"]);
}

async fn refuses_bad_sends(subject: &Subject) {
    let queue = subject.queue.as_ref();
    assert!(matches!(queue.send("missing", "x", NOW, None).await, Err(QueueError::UnknownQueue(_))));
    assert!(matches!(queue.send("work", "", NOW, None).await, Err(QueueError::Invalid(_))));
    assert!(matches!(queue.send("work", "x", Duration::from_secs(901), None).await, Err(QueueError::Invalid(_))));
    assert!(matches!(
        queue.send("work.fifo", "x", Duration::from_secs(1), Some("d")).await,
        Err(QueueError::Invalid(_))
    ));
}

acceptance::on_both_adapters!(
    embedded: super::embedded_subject(),
    aws: super::aws_subject().await,
    cases: [send_receive_delete,
    redelivers_what_is_not_deleted,
    delays_delivery,
    fifo_drops_repeated_dedup_ids,
    refuses_bad_sends]
);

/// SQS moves a message to the dead-letter queue by the queue's redrive policy; the embedded
/// queue keeps a dead-letter list after the same number of receives. Its time is the clock's.
#[tokio::test]
async fn embedded_dead_letters_after_max_receives() {
    let clock = Arc::new(MovableClock::default());
    let queue = acceptance::embedded_queue_with_clock(clock.clone());
    queue.send("work", "poison", NOW, None).await.expect("send");
    for attempt in 1..=3 {
        let batch = queue.receive("work", 10, Duration::from_secs(30)).await.expect("receive");
        assert_eq!(batch.iter().map(|m| m.receive_count).collect::<Vec<_>>(), [attempt]);
        clock.advance(jiff::SignedDuration::from_secs(31));
    }
    assert!(queue.receive("work", 10, Duration::from_secs(30)).await.expect("receive").is_empty());
    let dead = queue.dead_letters("work");
    assert_eq!(dead.iter().map(|m| (m.body.as_str(), m.receive_count)).collect::<Vec<_>>(), [("poison", 3)]);
    assert_eq!(queue.depth("work"), 0);
}
