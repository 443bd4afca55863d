//! The dead-letter queue: a run that ends Failed or RolledBack after its
//! retries is recorded; after the fault is gone, a requeue completes it from
//! its checkpoint; purge empties the queue. On the memory and sled stores.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Order {
    #[reducer(append)]
    log: Vec<String>,
}

/// reserve -> charge (flaky until `healthy`) -> ship; `reserve` counts its runs.
struct Shop {
    healthy: AtomicBool,
    reserves: AtomicU32,
    charges: AtomicU32,
}

fn shop(world: Arc<Shop>, saver: Arc<dyn Checkpointer>) -> CompiledGraph<Order> {
    let (w1, w2) = (world.clone(), world);
    StateGraph::new()
        .add_node("reserve", move |_: &Order| {
            w1.reserves.fetch_add(1, Ordering::SeqCst);
            async { Ok(OrderUpdate::default().log(vec!["reserved".into()])) }
        })
        .add_node("charge", move |_: &Order| {
            w2.charges.fetch_add(1, Ordering::SeqCst);
            let up = w2.healthy.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(OrderUpdate::default().log(vec!["charged".into()]))
                } else {
                    Err(NodeError::transient("payment gateway down"))
                }
            }
        })
        .add_node("ship", |_: &Order| async { Ok(OrderUpdate::default().log(vec!["shipped".into()])) })
        .add_edge(START, "reserve")
        .add_edge("reserve", "charge")
        .add_edge("charge", "ship")
        .retry("charge", RetryPolicy::new(3).initial(Duration::from_millis(1)).jitter(false))
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver)
}

async fn failed_run_lands_in_the_queue_and_a_requeue_completes_it(saver: Arc<dyn Checkpointer>) {
    let world =
        Arc::new(Shop { healthy: AtomicBool::new(false), reserves: AtomicU32::new(0), charges: AtomicU32::new(0) });
    let graph = shop(world.clone(), saver);
    let run = graph.invoke(Order::default(), "order-1").await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    assert!(graph.invoke(Order::default(), "order-2").await.unwrap().outcome != Outcome::Completed);

    let letters = graph.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 2);
    let letter = &letters[0];
    assert_eq!((letter.thread.as_str(), letter.node.as_str(), letter.attempts), ("order-1", "charge", 3));
    assert_eq!((letter.outcome.as_str(), letter.error.message.as_str()), ("failed", "payment gateway down"));
    assert!(letter.checkpoint.is_some() && letter.at_ms > 0);

    world.healthy.store(true, Ordering::SeqCst);
    let run = graph.requeue("order-1").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["reserved", "charged", "shipped"]);
    assert_eq!(world.reserves.load(Ordering::SeqCst), 2, "reserve ran once per order, not again on requeue");
    let left: Vec<String> = graph.dead_letters().await.unwrap().into_iter().map(|l| l.thread).collect();
    assert_eq!(left, ["order-2"], "the requeued letter is gone");

    let err = graph.requeue("order-1").await.unwrap_err();
    assert!(matches!(err, RunError::NoSuchThread { .. }), "{err}");
    assert_eq!(graph.purge_dead_letters(None).await.unwrap(), 1);
    assert!(graph.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn dead_letter_memory_failed_run_is_queued_requeued_and_purged() {
    failed_run_lands_in_the_queue_and_a_requeue_completes_it(Arc::new(MemorySaver::new())).await;
}

#[tokio::test]
async fn dead_letter_sled_failed_run_is_queued_requeued_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    failed_run_lands_in_the_queue_and_a_requeue_completes_it(Arc::new(SledSaver::open(dir.path()).unwrap())).await;
}

#[tokio::test]
async fn dead_letter_rolled_back_run_is_queued_with_its_failed_node() {
    let saver: Arc<dyn Checkpointer> = Arc::new(MemorySaver::new());
    let graph = StateGraph::new()
        .add_node("book", |_: &Order| async { Ok(OrderUpdate::default().log(vec!["booked".into()])) })
        .add_node("unbook", |_: &Order| async { Ok(OrderUpdate::default().log(vec!["unbooked".into()])) })
        .add_node("pay", |_: &Order| async { Err::<OrderUpdate, _>(NodeError::permanent("card declined")) })
        .add_edge(START, "book")
        .add_edge("book", "pay")
        .compensate("book", "unbook")
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver);
    let run = graph.invoke(Order::default(), "trip").await.unwrap();
    assert!(matches!(run.outcome, Outcome::RolledBack { .. }));
    let letters = graph.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].node.as_str(), letters[0].outcome.as_str(), letters[0].attempts), ("pay", "rolled back", 1));
    let err = graph.requeue("trip").await.unwrap_err();
    assert!(matches!(err, RunError::NotResumable { .. }), "a rolled-back run needs new input: {err}");
    assert_eq!(graph.purge_dead_letters(Some(&["trip"])).await.unwrap(), 1);
}

#[tokio::test]
async fn dead_letter_needs_a_checkpointer() {
    let graph = StateGraph::new()
        .add_node("a", |_: &Order| async { Ok(OrderUpdate::default()) })
        .add_edge(START, "a")
        .compile()
        .unwrap();
    assert!(matches!(graph.dead_letters().await, Err(RunError::NoCheckpointer { .. })));
}

async fn deleting_a_thread_removes_its_letter(saver: Arc<dyn Checkpointer>) {
    let world =
        Arc::new(Shop { healthy: AtomicBool::new(false), reserves: AtomicU32::new(0), charges: AtomicU32::new(0) });
    let graph = shop(world.clone(), saver.clone());
    graph.invoke(Order::default(), "order-9").await.unwrap();
    assert_eq!(graph.dead_letters().await.unwrap().len(), 1);
    saver.delete_thread("order-9").await.unwrap();
    assert!(graph.dead_letters().await.unwrap().is_empty(), "the letter went with its thread");
    world.healthy.store(true, Ordering::SeqCst);
    let run = graph.invoke(Order::default(), "order-9").await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log, ["reserved", "charged", "shipped"], "a new thread under the old id starts afresh");
}

#[tokio::test]
async fn dead_letter_memory_deleting_a_thread_removes_its_letter() {
    deleting_a_thread_removes_its_letter(Arc::new(MemorySaver::new())).await;
}

#[tokio::test]
async fn dead_letter_sled_deleting_a_thread_removes_its_letter() {
    let dir = tempfile::tempdir().unwrap();
    deleting_a_thread_removes_its_letter(Arc::new(SledSaver::open(dir.path()).unwrap())).await;
}
