//! The pure half of event sourcing: a [`Decider`] turns a command into events given the
//! current state, and folds events into state. No IO, no clock, no randomness: time and
//! ids arrive inside the command, so every decision is a plain function to test.

/// An aggregate's decision logic.
pub trait Decider {
    /// State rebuilt from the stream's events; `Default` is the state of an empty stream.
    type State: Default;
    type Command;
    type Event;
    /// A refused command (a broken business rule), distinct from any storage failure.
    type Error: std::error::Error;

    /// Decides which events a command produces, or why it is refused.
    fn decide(state: &Self::State, command: Self::Command)
        -> Result<Vec<Self::Event>, Self::Error>;

    /// Applies one event to the state.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// Folds a whole stream into its state.
    fn fold<'a, I>(events: I) -> Self::State
    where
        I: IntoIterator<Item = &'a Self::Event>,
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), Self::evolve)
    }
}

/// given(events) / when(command) / then(events | error) for decider tests.
///
/// ```
/// # use civitas_kernel::aggregate::{Decider, given};
/// struct Counter;
/// #[derive(Debug, thiserror::Error, PartialEq)]
/// #[error("too big")]
/// struct TooBig;
/// impl Decider for Counter {
///     type State = u32;
///     type Command = u32;
///     type Event = u32;
///     type Error = TooBig;
///     fn decide(s: &u32, c: u32) -> Result<Vec<u32>, TooBig> {
///         if s + c > 10 { Err(TooBig) } else { Ok(vec![c]) }
///     }
///     fn evolve(s: u32, e: &u32) -> u32 { s + e }
/// }
/// given::<Counter>([4]).when(3).then([3]);
/// given::<Counter>([4, 5]).when(3).then_error(TooBig);
/// ```
pub fn given<D: Decider>(events: impl IntoIterator<Item = D::Event>) -> Given<D> {
    let events: Vec<D::Event> = events.into_iter().collect();
    Given {
        state: D::fold(events.iter()),
    }
}

/// The state a test starts from.
pub struct Given<D: Decider> {
    state: D::State,
}

impl<D: Decider> Given<D> {
    /// Runs the command against the given state.
    pub fn when(self, command: D::Command) -> Then<D> {
        Then {
            result: D::decide(&self.state, command),
        }
    }
}

/// The outcome of a decision, with assertions.
pub struct Then<D: Decider> {
    result: Result<Vec<D::Event>, D::Error>,
}

impl<D: Decider> Then<D>
where
    D::Event: std::fmt::Debug + PartialEq,
    D::Error: std::fmt::Debug + PartialEq,
{
    /// Asserts the command produced exactly these events.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = D::Event>) {
        let expected: Vec<D::Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => assert_eq!(events, expected, "unexpected events"),
            Err(e) => panic!("expected events {expected:?}, command was refused: {e:?}"),
        }
    }

    /// Asserts the command was refused with this error.
    #[track_caller]
    pub fn then_error(self, expected: D::Error) {
        match self.result {
            Ok(events) => panic!("expected refusal {expected:?}, got events {events:?}"),
            Err(e) => assert_eq!(e, expected, "unexpected refusal"),
        }
    }

    /// The raw result, for assertions the helpers above do not cover.
    pub fn result(self) -> Result<Vec<D::Event>, D::Error> {
        self.result
    }
}
