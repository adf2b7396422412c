//! `blockbuilders users set EMAIL`: change an account's role, plan or reviewer duty from the
//! machine the database is on — how the first admin is made, and how operators act without
//! the API. Every change goes through the same store methods as the admin API.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use bb_store::{Db, PlanTier, Role};

use super::data::{DbArgs, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UsersCommand {
    /// Change an account: its role (builder, educator, admin), its plan (free, premium,
    /// educator) and whether it reviews templates.
    Set(SetArgs),
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// The account's email.
    email: String,
    /// builder, educator or admin.
    #[arg(long)]
    role: Option<String>,
    /// free, premium or educator.
    #[arg(long)]
    plan: Option<String>,
    /// true or false: may decide compliance events.
    #[arg(long)]
    reviewer: Option<bool>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let UsersCommand::Set(a) = args.command;
    runtime()?.block_on(set(a, &mut out))
}

async fn set(a: SetArgs, out: &mut dyn Write) -> Result<ExitCode> {
    // Cheap checks before the database.
    let role: Option<Role> = a
        .role
        .as_deref()
        .map(|r| r.parse().map_err(|e| anyhow!("--role: {e}")))
        .transpose()?;
    let plan: Option<PlanTier> = a
        .plan
        .as_deref()
        .map(|p| p.parse().map_err(|e| anyhow!("--plan: {e}")))
        .transpose()?;
    if role.is_none() && plan.is_none() && a.reviewer.is_none() {
        bail!("nothing to change: give --role, --plan or --reviewer");
    }
    let db = Db::connect(&a.db.database_url).await?;
    db.migrate().await?;
    let users = db.users();
    let Some((mut user, _)) = users.by_email(&a.email).await? else {
        bail!("no account has the email {:?}", a.email);
    };
    if let Some(role) = role {
        user = users.set_role(&user.id, role, None).await?;
    }
    if let Some(plan) = plan {
        user = users.set_plan(&user.id, plan, None).await?;
    }
    if let Some(reviewer) = a.reviewer {
        user = users.set_reviewer(&user.id, reviewer, None).await?;
    }
    writeln!(
        out,
        "{}: role {}, plan {}, reviewer {}",
        user.email,
        user.role,
        user.plan,
        if user.reviewer { "yes" } else { "no" }
    )?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
