//! Which value wins, for every resource (README, "Finding the stream and
//! the queue"): its flag; then an explicit `--stack` or `--state-file`;
//! then its environment variable; then `STREAMDLQ_STACK`; then the local
//! stack's state file. A stack or state file named by a flag beats the
//! resource variables because those are what `eval "$(streamdlq local up)"`
//! exported: `--stack prod` typed after it names prod, and taking the
//! stream and the DLQ from the local exports would act on the wrong stack.
//!
//! The rule is applied here, from the flags and one lookup of the
//! environment, before any file or AWS call, so that each case is tested on
//! its own. The environment is read here rather than by clap (`#[arg(env)]`),
//! because clap fills each field from its own flag or variable and so loses
//! which one a value came from: `STREAMDLQ_STREAM_ARN` exported by
//! `streamdlq local up` would beat an explicit `--stream-name` typed after it,
//! and the records would go to a stream the user did not name.

use std::path::PathBuf;

use anyhow::bail;

use super::DiscoveryArgs;
use crate::stream::StreamId;

/// The stream, by name.
pub const STREAM_NAME_ENV: &str = "STREAMDLQ_STREAM_NAME";
/// The stream, by ARN.
pub const STREAM_ARN_ENV: &str = "STREAMDLQ_STREAM_ARN";
/// The DLQ's URL.
pub const DLQ_URL_ENV: &str = "STREAMDLQ_DLQ_URL";
/// A deployed stack to read the rest from.
pub const STACK_ENV: &str = "STREAMDLQ_STACK";
/// The local stack's state file.
pub const STATE_FILE_ENV: &str = "STREAMDLQ_STATE_FILE";
/// The local stack's state directory, as `streamdlq local` takes it.
pub use streamdlq_local::state::STATE_DIR_ENV;

/// Where what the flags and the environment leave open comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// The outputs of this deployed CloudFormation stack.
    Stack(String),
    /// The local stack of this state file, named by a flag or variable.
    StateFile(PathBuf),
    /// The state file `streamdlq local up` wrote in the working directory
    /// or above, if there is one; else the standard AWS configuration.
    FindStateFile,
    /// Nothing: the standard AWS configuration (`--aws`).
    Aws,
}

/// What the flags and the environment decide, each value from the first
/// source that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The stream named by a flag or variable.
    pub stream: Option<StreamId>,
    /// The DLQ named by a flag or variable.
    pub queue_url: Option<String>,
    /// Where the rest comes from.
    pub backing: Backing,
}

/// Applies the precedence to `args` and the environment `env` (a variable's
/// value by name; an empty value counts as unset, as in a shell's `${X:-}`).
pub fn choose(
    args: &DiscoveryArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Choice> {
    let env = |name: &str| env(name).filter(|value| !value.is_empty());
    // A stack or state file named on the command line outranks the
    // resource variables (not the resource flags).
    let named_backing = args.stack.is_some() || args.state_file.is_some();
    let resource_env = |name: &str| if named_backing { None } else { env(name) };
    Ok(Choice {
        stream: choose_stream(args, &resource_env)?,
        queue_url: args.queue_url.clone().or_else(|| resource_env(DLQ_URL_ENV)),
        backing: choose_backing(args, &env),
    })
}

/// A stream flag, else the stream variables (which must agree when both are
/// set: `local up` exports both, for the same stream).
fn choose_stream(
    args: &DiscoveryArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<StreamId>> {
    // clap rejects both flags together.
    if let Some(arn) = &args.stream_arn {
        return Ok(Some(StreamId::Arn(arn.clone())));
    }
    if let Some(name) = &args.stream_name {
        return Ok(Some(StreamId::Name(name.clone())));
    }
    Ok(match (env(STREAM_ARN_ENV), env(STREAM_NAME_ENV)) {
        (Some(arn), Some(name)) => {
            let by_arn = StreamId::Arn(arn);
            if by_arn.name() != name {
                bail!(
                    "{STREAM_NAME_ENV}={name} and {STREAM_ARN_ENV}={by_arn} name different streams: unset one, or pass --stream-name or --stream-arn"
                );
            }
            Some(by_arn)
        }
        (Some(arn), None) => Some(StreamId::Arn(arn)),
        (None, Some(name)) => Some(StreamId::Name(name)),
        (None, None) => None,
    })
}

/// `--stack`, `--state-file` or `--aws` (clap allows one), else
/// `STREAMDLQ_STACK`, else the state file of `STREAMDLQ_STATE_FILE` or
/// `STREAMDLQ_STATE_DIR`, else a state file found here or above. A named
/// stack wins over a state file at the same level, so that a command aimed
/// at a deployed stack never acts on the local one.
fn choose_backing(args: &DiscoveryArgs, env: &dyn Fn(&str) -> Option<String>) -> Backing {
    if let Some(stack) = &args.stack {
        return Backing::Stack(stack.clone());
    }
    if let Some(path) = &args.state_file {
        return Backing::StateFile(path.clone());
    }
    if let Some(stack) = env(STACK_ENV) {
        return Backing::Stack(stack);
    }
    if args.aws {
        return Backing::Aws;
    }
    if let Some(path) = env(STATE_FILE_ENV) {
        return Backing::StateFile(path.into());
    }
    if let Some(dir) = env(STATE_DIR_ENV) {
        return Backing::StateFile(PathBuf::from(dir).join(streamdlq_local::state::STATE_FILE));
    }
    Backing::FindStateFile
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const LOCAL_ARN: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/streamdlq-Stream";

    /// What `eval "$(streamdlq local up)"` leaves in the shell.
    fn local_exports() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            (STREAM_NAME_ENV, "streamdlq-Stream"),
            (STREAM_ARN_ENV, LOCAL_ARN),
            (
                DLQ_URL_ENV,
                "http://127.0.0.1:5000/000000000000/streamdlq-DeadLetterQueue",
            ),
        ])
    }

    fn choose_with(
        args: &DiscoveryArgs,
        env: &BTreeMap<&'static str, &'static str>,
    ) -> anyhow::Result<Choice> {
        choose(args, &|name| env.get(name).map(|value| (*value).to_owned()))
    }

    /// The bug this module fixes: `--stream-name` wins over the exported
    /// `STREAMDLQ_STREAM_ARN` (and `STREAMDLQ_STREAM_NAME`) of a local stack.
    #[test]
    fn a_stream_name_flag_wins_over_an_exported_stream_arn() {
        let args = DiscoveryArgs {
            stream_name: Some("nope".into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Name("nope".into())));
    }

    /// `--stream-arn` wins over the exported name and ARN alike.
    #[test]
    fn a_stream_arn_flag_wins_over_the_environment() {
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
        let args = DiscoveryArgs {
            stream_arn: Some(arn.into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Arn(arn.into())));
    }

    /// Without a flag the exported ARN names the stream, and state or stack
    /// come only after it.
    #[test]
    fn the_environment_names_the_stream_without_a_flag() {
        let choice = choose_with(&DiscoveryArgs::default(), &local_exports()).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Arn(LOCAL_ARN.into())));
        let only_name = BTreeMap::from([(STREAM_NAME_ENV, "orders")]);
        let choice = choose_with(&DiscoveryArgs::default(), &only_name).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Name("orders".into())));
    }

    /// A name and an ARN in the environment that name different streams are
    /// an error, not a silent pick of one.
    #[test]
    fn disagreeing_stream_variables_are_an_error() {
        let mut env = local_exports();
        env.insert(STREAM_NAME_ENV, "orders");
        let error = choose_with(&DiscoveryArgs::default(), &env).expect_err("disagree");
        let message = error.to_string();
        assert!(message.contains("name different streams"), "{message}");
        assert!(message.contains("--stream-name"), "{message}");
    }

    /// `--queue-url` wins over `STREAMDLQ_DLQ_URL`, which is used without it.
    #[test]
    fn a_queue_url_flag_wins_over_the_environment() {
        let args = DiscoveryArgs {
            queue_url: Some("http://elsewhere/q".into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!(choice.queue_url.as_deref(), Some("http://elsewhere/q"));
        let choice = choose_with(&DiscoveryArgs::default(), &local_exports()).expect("choice");
        assert_eq!(
            choice.queue_url.as_deref(),
            Some("http://127.0.0.1:5000/000000000000/streamdlq-DeadLetterQueue")
        );
    }

    /// An explicit `--state-file` wins over `STREAMDLQ_STACK`.
    #[test]
    fn a_state_file_flag_wins_over_a_stack_variable() {
        let args = DiscoveryArgs {
            state_file: Some("here/state.json".into()),
            ..DiscoveryArgs::default()
        };
        let env = BTreeMap::from([(STACK_ENV, "prod")]);
        let choice = choose_with(&args, &env).expect("choice");
        assert_eq!(choice.backing, Backing::StateFile("here/state.json".into()));
    }

    /// An explicit `--stack` wins over the state file variables.
    #[test]
    fn a_stack_flag_wins_over_state_file_variables() {
        let args = DiscoveryArgs {
            stack: Some("prod".into()),
            ..DiscoveryArgs::default()
        };
        let env = BTreeMap::from([(STATE_FILE_ENV, "s.json"), (STATE_DIR_ENV, "/tmp/s")]);
        let choice = choose_with(&args, &env).expect("choice");
        assert_eq!(choice.backing, Backing::Stack("prod".into()));
    }

    /// After `eval "$(streamdlq local up)"`, `--stack prod` takes the stream
    /// and the DLQ from prod, not from the local stack's exports.
    #[test]
    fn a_stack_flag_wins_over_exported_resources() {
        let args = DiscoveryArgs {
            stack: Some("prod".into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!(choice.stream, None);
        assert_eq!(choice.queue_url, None);
        assert_eq!(choice.backing, Backing::Stack("prod".into()));
    }

    /// `--state-file` names a local stack whose state gives the resources,
    /// not the exports of another one.
    #[test]
    fn a_state_file_flag_wins_over_exported_resources() {
        let args = DiscoveryArgs {
            state_file: Some("other/state.json".into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!((choice.stream, choice.queue_url), (None, None));
        assert_eq!(
            choice.backing,
            Backing::StateFile("other/state.json".into())
        );
    }

    /// Resource flags still win over `--stack`: the user named both.
    #[test]
    fn resource_flags_win_over_a_stack_flag() {
        let args = DiscoveryArgs {
            stack: Some("prod".into()),
            stream_name: Some("orders".into()),
            queue_url: Some("http://elsewhere/q".into()),
            ..DiscoveryArgs::default()
        };
        let choice = choose_with(&args, &local_exports()).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Name("orders".into())));
        assert_eq!(choice.queue_url.as_deref(), Some("http://elsewhere/q"));
    }

    /// `STREAMDLQ_STACK` does not outrank the resource variables: they
    /// still name the stream and the DLQ, the stack gives the rest.
    #[test]
    fn resource_variables_win_over_a_stack_variable() {
        let mut env = local_exports();
        env.insert(STACK_ENV, "prod");
        let choice = choose_with(&DiscoveryArgs::default(), &env).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Arn(LOCAL_ARN.into())));
        assert!(choice.queue_url.is_some());
        assert_eq!(choice.backing, Backing::Stack("prod".into()));
    }

    /// `STREAMDLQ_STACK` wins over any state file, named or found.
    #[test]
    fn a_stack_variable_wins_over_the_state_file() {
        let env = BTreeMap::from([(STACK_ENV, "prod"), (STATE_FILE_ENV, "s.json")]);
        let choice = choose_with(&DiscoveryArgs::default(), &env).expect("choice");
        assert_eq!(choice.backing, Backing::Stack("prod".into()));
    }

    /// `STREAMDLQ_STATE_FILE` wins over `STREAMDLQ_STATE_DIR`, which wins
    /// over looking for a state file; with neither, one is looked for.
    #[test]
    fn state_file_variables_win_over_looking_for_one() {
        let env = BTreeMap::from([(STATE_FILE_ENV, "s.json"), (STATE_DIR_ENV, "/tmp/s")]);
        let choice = choose_with(&DiscoveryArgs::default(), &env).expect("choice");
        assert_eq!(choice.backing, Backing::StateFile("s.json".into()));
        let env = BTreeMap::from([(STATE_DIR_ENV, "/tmp/s")]);
        let choice = choose_with(&DiscoveryArgs::default(), &env).expect("choice");
        assert_eq!(
            choice.backing,
            Backing::StateFile("/tmp/s/state.json".into())
        );
        let choice = choose_with(&DiscoveryArgs::default(), &BTreeMap::new()).expect("choice");
        assert_eq!(choice.backing, Backing::FindStateFile);
    }

    /// `--aws` wins over the state file variables, not over a named stack.
    #[test]
    fn the_aws_flag_ignores_the_local_stack_only() {
        let args = DiscoveryArgs {
            aws: true,
            ..DiscoveryArgs::default()
        };
        let env = BTreeMap::from([(STATE_FILE_ENV, "s.json")]);
        assert_eq!(
            choose_with(&args, &env).expect("choice").backing,
            Backing::Aws
        );
        let env = BTreeMap::from([(STACK_ENV, "prod")]);
        assert_eq!(
            choose_with(&args, &env).expect("choice").backing,
            Backing::Stack("prod".into())
        );
    }

    /// An empty variable counts as unset.
    #[test]
    fn empty_variables_are_unset() {
        let env = BTreeMap::from([
            (STREAM_ARN_ENV, ""),
            (STREAM_NAME_ENV, "orders"),
            (STACK_ENV, ""),
        ]);
        let choice = choose_with(&DiscoveryArgs::default(), &env).expect("choice");
        assert_eq!(choice.stream, Some(StreamId::Name("orders".into())));
        assert_eq!(choice.backing, Backing::FindStateFile);
    }
}
