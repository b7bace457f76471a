//! The Queue contract, on the in-process queue and on SQS (the emulator `make test` starts).

use std::sync::Arc;
use std::time::Duration;

use ports::{MovableClock, Queue, QueueError};

const NOW: Duration = Duration::ZERO;
const HIDE: Duration = Duration::from_secs(1);

async fn wait_past(d: Duration) {
    tokio::time::sleep(d + Duration::from_millis(300)).await;
}

async fn send_receive_delete(queue: &dyn Queue) {
    queue.send("work", r#"{"n":1}"#, NOW, None).await.expect("send");
    let batch = queue.receive("work", 10, Duration::from_secs(30)).await.expect("receive");
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].body.as_str(), batch[0].receive_count), (r#"{"n":1}"#, 1));
    assert!(queue.receive("work", 10, Duration::from_secs(30)).await.expect("receive").is_empty(), "in flight: hidden");
    queue.delete("work", &batch[0].receipt).await.expect("delete");
}

async fn redelivers_what_is_not_deleted(queue: &dyn Queue) {
    queue.send("work", "again", NOW, None).await.expect("send");
    let first = queue.receive("work", 10, HIDE).await.expect("receive");
    assert_eq!(first.len(), 1);
    wait_past(HIDE).await;
    let second = queue.receive("work", 10, HIDE).await.expect("receive again");
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].id.as_str(), second[0].receive_count), (first[0].id.as_str(), 2));
    queue.delete("work", &second[0].receipt).await.expect("delete");
    wait_past(HIDE).await;
    assert!(queue.receive("work", 10, HIDE).await.expect("receive").is_empty());
}

async fn delays_delivery(queue: &dyn Queue) {
    queue.send("work", "later", Duration::from_secs(1), None).await.expect("send");
    assert!(queue.receive("work", 10, HIDE).await.expect("receive").is_empty(), "not yet due");
    wait_past(Duration::from_secs(1)).await;
    let batch = queue.receive("work", 10, HIDE).await.expect("receive");
    assert_eq!(batch.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["later"]);
}

async fn fifo_drops_repeated_dedup_ids(queue: &dyn Queue) {
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

async fn refuses_bad_sends(queue: &dyn Queue) {
    assert!(matches!(queue.send("missing", "x", NOW, None).await, Err(QueueError::UnknownQueue(_))));
    assert!(matches!(queue.send("work", "", NOW, None).await, Err(QueueError::Invalid(_))));
    assert!(matches!(queue.send("work", "x", Duration::from_secs(901), None).await, Err(QueueError::Invalid(_))));
    assert!(matches!(
        queue.send("work.fifo", "x", Duration::from_secs(1), Some("d")).await,
        Err(QueueError::Invalid(_))
    ));
}

acceptance::on_both_adapters!(
    embedded: acceptance::embedded_queue(),
    aws: acceptance::aws_queue().await,
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
