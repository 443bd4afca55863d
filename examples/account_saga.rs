//! A saga: create a user, create a subscription, send the welcome email. The
//! email fails for good, so the subscription and then the user are undone, in
//! reverse order, each compensator on the state right after the step it undoes.
//!
//! ```sh
//! cargo run --example account_saga                 # the rollback, in one process
//! cargo run --example account_saga -- --crash      # the process dies mid-rollback; a new one resumes it
//! ```
//!
//! The "services" are a ledger file in the store directory: every side effect
//! is one line, so you can see that each compensation happened exactly once,
//! even across the crash. Options: `--store DIR` (default
//! `./stategraph-saga`), `--thread ID`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use stategraph::prelude::*;

/// Set in the child process of `--crash`: `delete_user` kills the process.
const CRASH_ENV: &str = "STATEGRAPH_SAGA_CRASH";

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Account {
    email: String,
    /// Where the simulated services write their side effects.
    ledger: PathBuf,
    user_id: Option<String>,
    subscription_id: Option<String>,
    #[reducer(append)]
    log: Vec<String>,
}

/// Appends one side effect to the ledger (the stand-in for a remote call).
fn side_effect(state: &Account, ctx: &Ctx, action: &str) -> NodeResult<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&state.ledger)
        .map_err(|e| NodeError::transient(format!("ledger: {e}")))?;
    // The idempotency key is what a real service would deduplicate on.
    writeln!(file, "{action} key={}", ctx.idempotency_key()).map_err(|e| NodeError::transient(format!("ledger: {e}")))
}

#[node(compensate = delete_user)]
async fn create_user(state: &Account, ctx: &Ctx) -> NodeResult<AccountUpdate> {
    side_effect(state, ctx, &format!("create_user {}", state.email))?;
    Ok(AccountUpdate::default().user_id(Some("u-1001".into())).log(vec!["user created".into()]))
}

#[node(compensate = cancel_subscription)]
async fn create_subscription(state: &Account, ctx: &Ctx) -> NodeResult<AccountUpdate> {
    let user = state.user_id.as_deref().unwrap_or("?");
    side_effect(state, ctx, &format!("create_subscription for {user}"))?;
    Ok(AccountUpdate::default().subscription_id(Some("sub-77".into())).log(vec!["subscription created".into()]))
}

/// Critical (the default): its failure rolls the saga back.
#[node(retry(max_attempts = 2, initial = "10ms"))]
async fn send_email(state: &Account) -> NodeResult<AccountUpdate> {
    Err(NodeError::permanent(format!("mailbox {} does not exist", state.email)))
}

#[node]
async fn cancel_subscription(state: &Account, ctx: &Ctx) -> NodeResult<AccountUpdate> {
    let sub = state.subscription_id.as_deref().unwrap_or("?");
    side_effect(state, ctx, &format!("cancel_subscription {sub}"))?;
    Ok(AccountUpdate::default().subscription_id(None).log(vec!["subscription cancelled".into()]))
}

#[node(retry(max_attempts = 3, initial = "10ms"))]
async fn delete_user(state: &Account, ctx: &Ctx) -> NodeResult<AccountUpdate> {
    if std::env::var_os(CRASH_ENV).is_some() {
        eprintln!("[child] killed inside delete_user, mid-rollback");
        std::process::abort();
    }
    let user = state.user_id.as_deref().unwrap_or("?");
    side_effect(state, ctx, &format!("delete_user {user}"))?;
    Ok(AccountUpdate::default().user_id(None).log(vec!["user deleted".into()]))
}

fn graph(store: &Path) -> Result<CompiledGraph<Account>, Box<dyn std::error::Error>> {
    Ok(StateGraph::new()
        .add_edge(START, create_user)
        .add_edge(create_user, create_subscription)
        .add_edge(create_subscription, send_email)
        .add_edge(send_email, END)
        .compile()?
        .with_checkpointer(SledSaver::open(store.join("db"))?))
}

struct Options {
    store: PathBuf,
    thread: String,
    crash: bool,
    child: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        store: PathBuf::from("stategraph-saga"),
        thread: format!("account-{}", std::process::id()),
        crash: false,
        child: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--store" => options.store = args.next().ok_or("--store needs a directory")?.into(),
            "--thread" => options.thread = args.next().ok_or("--thread needs an id")?,
            "--crash" => options.crash = true,
            "--child" => options.child = true,
            other => return Err(format!("unknown argument `{other}`; try --store DIR, --thread ID, --crash")),
        }
    }
    Ok(options)
}

fn print_run(run: &RunResult<Account>) {
    match &run.outcome {
        Outcome::RolledBack { failed_node, error, compensated, compensation_failures } => {
            println!("outcome: rolled back after `{failed_node}` failed: {}", error.message);
            println!("compensated, in order: {}", compensated.join(", "));
            if !compensation_failures.is_empty() {
                println!("compensations that failed: {compensation_failures:?}");
            }
        }
        other => println!("outcome: {other:?}"),
    }
    println!("log: {}", run.state.log.join(" -> "));
    println!("user_id = {:?}, subscription_id = {:?}", run.state.user_id, run.state.subscription_id);
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    std::fs::create_dir_all(&options.store)?;
    let ledger = options.store.join(format!("{}.ledger", options.thread));
    let input = Account { email: "ada@example.invalid".into(), ledger: ledger.clone(), ..Default::default() };

    if options.crash && !options.child {
        // Run the saga in a child process that dies inside `delete_user`.
        let status = Process::new(std::env::current_exe()?)
            .args(["--child", "--store"])
            .arg(&options.store)
            .args(["--thread", &options.thread])
            .env(CRASH_ENV, "1")
            .status()?;
        println!("child process ended mid-rollback ({status}); resuming thread `{}` here", options.thread);
        let run = graph(&options.store)?.resume(&options.thread, Resume::new()).await?;
        print_run(&run);
    } else {
        let run = graph(&options.store)?.invoke(input, &options.thread).await?;
        print_run(&run);
    }
    println!("ledger ({}):", ledger.display());
    for line in std::fs::read_to_string(&ledger)?.lines() {
        println!("  {line}");
    }
    println!("thread `{}` in {}", options.thread, options.store.join("db").display());
    Ok(())
}
