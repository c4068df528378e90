//! Fault injection: rules that make matching requests slow, unavailable, dropped, or that
//! duplicate or withhold batches of the app-wide polling endpoint.
//!
//! Rules are checked in the order they were added. A rule applies to the requests of one
//! operation (or of every operation of the vendor API when `operation` is `None`; the admin
//! endpoints are never faulted), lets the first `skip` matching requests through, then applies
//! to the next `times` matching requests (every one when `times` is `None`) and is then spent.
//! The batch faults count only polls that have at least one event to deliver.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a rule does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long before handling the request. Latencies of several matching rules add up.
    Latency {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Answers HTTP 503 with a `Retry-After` header and the error envelope (code 503), without
    /// handling the request.
    Unavailable {
        /// The `Retry-After` value, in seconds.
        #[serde(rename = "retryAfter", default)]
        retry_after: u64,
    },
    /// Closes the connection without an answer. With `after: false` the request is not handled
    /// (nothing changed); with `after: true` it is handled (state changed, a polled batch was
    /// consumed) and only the answer is lost.
    Drop {
        /// Whether the request takes effect before the connection is closed.
        #[serde(default)]
        after: bool,
    },
    /// `pollAppEvents` only: the batch is answered and also left at the head of the queue, so the
    /// next poll delivers the same events again.
    DuplicateBatch,
    /// `pollAppEvents` only: the batch is taken from the queue but answered as an empty list.
    /// With `redeliver: false` its events are lost to polling (they stay listed by the room's
    /// `sequences` endpoint); with `redeliver: true` they stay queued for a later poll.
    WithholdBatch {
        /// Whether the withheld events are delivered by a later poll.
        #[serde(default)]
        redeliver: bool,
    },
    /// Handles the request, then changes its answer so that it no longer matches the spec: sets
    /// `value` at the JSON pointer `pointer` of the body (the last member is added when missing;
    /// an array index must exist), and answers `status` instead of the real status when given.
    /// For testing clients, and the `proxy` subcommand's drift report, against answers the spec
    /// does not describe: an extra field, a value of another type, an unknown event `cmd`, an
    /// undocumented status.
    Rewrite {
        /// Where in the body to set `value` (RFC 6901), e.g. `/data/list/0/cmd`; `None` leaves
        /// the body as it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pointer: Option<String>,
        /// The value to set.
        #[serde(default)]
        value: serde_json::Value,
        /// The HTTP status to answer instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
}

impl Fault {
    /// Waits `delay` (whole milliseconds) before handling the request: `{"type": "latency", "ms": ...}`.
    pub fn latency(delay: Duration) -> Self {
        Fault::Latency {
            ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Answers 503 with `Retry-After: <retry_after_secs>` without handling the request:
    /// `{"type": "unavailable", "retryAfter": ...}`.
    pub fn unavailable(retry_after_secs: u64) -> Self {
        Fault::Unavailable {
            retry_after: retry_after_secs,
        }
    }

    /// Closes the connection before handling the request, so nothing changes:
    /// `{"type": "drop"}` (`"after": false`).
    pub fn drop_before_handling() -> Self {
        Fault::Drop { after: false }
    }

    /// Handles the request, then closes the connection without answering (the change is made, a
    /// polled batch is consumed, the answer is lost): `{"type": "drop", "after": true}`.
    pub fn drop_after_handling() -> Self {
        Fault::Drop { after: true }
    }

    /// `pollAppEvents` only: answers the batch and leaves it queued, so the next poll delivers it
    /// again: `{"type": "duplicateBatch"}`.
    pub fn duplicate_batch() -> Self {
        Fault::DuplicateBatch
    }

    /// `pollAppEvents` only: takes the batch and answers `[]`, so its events are lost to polling
    /// (the room's history still lists them): `{"type": "withholdBatch"}` (`"redeliver": false`).
    pub fn withhold_batch() -> Self {
        Fault::WithholdBatch { redeliver: false }
    }

    /// `pollAppEvents` only: answers `[]` and keeps the batch queued for a later poll:
    /// `{"type": "withholdBatch", "redeliver": true}`.
    pub fn withhold_batch_for_redelivery() -> Self {
        Fault::WithholdBatch { redeliver: true }
    }

    /// Handles the request, then sets `value` at the JSON pointer `pointer` of the answer:
    /// `{"type": "rewrite", "pointer": "/data/x", "value": 1}`.
    pub fn rewrite(pointer: impl Into<String>, value: serde_json::Value) -> Self {
        Fault::Rewrite {
            pointer: Some(pointer.into()),
            value,
            status: None,
        }
    }

    /// Handles the request, then answers `status` instead of the real status:
    /// `{"type": "rewrite", "status": 207}`.
    pub fn rewrite_status(status: u16) -> Self {
        Fault::Rewrite {
            pointer: None,
            value: serde_json::Value::Null,
            status: Some(status),
        }
    }

    /// Whether the fault acts on a polling batch rather than on the request.
    pub fn is_batch_fault(&self) -> bool {
        matches!(self, Fault::DuplicateBatch | Fault::WithholdBatch { .. })
    }
}

/// A fault and the requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The operationId the rule applies to (e.g. `"pollAppEvents"`); `None` for every operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Matching requests let through before the rule applies.
    #[serde(default)]
    pub skip: u32,
    /// How many matching requests the rule applies to; `None` for every one until it is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// What it does.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule applying `fault` to every request of every operation, as the JSON
    /// `{"fault": ...}` with nothing else does (`skip` 0, `times` unlimited).
    ///
    /// ```
    /// use classroom_emulator::{Fault, FaultRule};
    ///
    /// // The second and third polls answer 503 with `Retry-After: 1`.
    /// let rule = FaultRule::new(Fault::unavailable(1))
    ///     .operation("pollAppEvents")
    ///     .skip(1)
    ///     .times(2);
    /// let json = r#"{"operation": "pollAppEvents", "skip": 1, "times": 2,
    ///                "fault": {"type": "unavailable", "retryAfter": 1}}"#;
    /// assert_eq!(rule, serde_json::from_str(json).unwrap());
    /// ```
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            operation: None,
            skip: 0,
            times: None,
            fault,
        }
    }

    /// Restricts the rule to one operation (its operationId).
    #[must_use]
    pub fn operation(mut self, operation_id: impl Into<String>) -> Self {
        self.operation = Some(operation_id.into());
        self
    }

    /// Lets the first `skip` matching requests through.
    #[must_use]
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
    }

    /// Applies the rule to `times` matching requests only.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }
}

/// A rule as the emulator holds it: its id and how many requests it has applied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveFault {
    /// The id given when the rule was added.
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Matching requests seen so far.
    pub seen: u32,
    /// Matching requests the fault was applied to so far.
    pub applied: u32,
}

impl ActiveFault {
    fn spent(&self) -> bool {
        self.rule.times.is_some_and(|t| self.applied >= t)
    }

    fn matches(&self, operation: &str) -> bool {
        self.rule
            .operation
            .as_deref()
            .is_none_or(|o| o == operation)
    }

    /// Counts a matching request; whether the fault applies to it.
    fn hit(&mut self) -> bool {
        self.seen = self.seen.saturating_add(1);
        if self.seen <= self.rule.skip || self.spent() {
            return false;
        }
        self.applied = self.applied.saturating_add(1);
        true
    }
}

/// What the request-level faults decided for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    pub latency_ms: u64,
    /// `Some(retry_after)` to answer 503.
    pub unavailable: Option<u64>,
    pub drop_before: bool,
    pub drop_after: bool,
    /// `(pointer, value, status)` of each `Rewrite` that applies, in order.
    pub rewrites: Vec<(Option<String>, serde_json::Value, Option<u16>)>,
}

/// The rules of a running emulator.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<ActiveFault>,
    next_id: u64,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) -> u64 {
        self.next_id += 1;
        self.rules.push(ActiveFault {
            id: self.next_id,
            rule,
            seen: 0,
            applied: 0,
        });
        self.next_id
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<ActiveFault> {
        self.rules.clone()
    }

    /// Applies the request-level rules to a request of `operation`.
    pub fn decide(&mut self, operation: &str) -> Decision {
        let mut decision = Decision::default();
        for rule in &mut self.rules {
            if rule.rule.fault.is_batch_fault() || !rule.matches(operation) {
                continue;
            }
            // A request already failed by an earlier rule does not count for the later ones,
            // except latency, which always adds up.
            let failed =
                decision.unavailable.is_some() || decision.drop_before || decision.drop_after;
            if failed && !matches!(rule.rule.fault, Fault::Latency { .. }) {
                continue;
            }
            if !rule.hit() {
                continue;
            }
            match &rule.rule.fault {
                Fault::Latency { ms } => {
                    decision.latency_ms = decision.latency_ms.saturating_add(*ms)
                }
                Fault::Unavailable { retry_after } => decision.unavailable = Some(*retry_after),
                Fault::Drop { after: false } => decision.drop_before = true,
                Fault::Drop { after: true } => decision.drop_after = true,
                Fault::Rewrite {
                    pointer,
                    value,
                    status,
                } => decision
                    .rewrites
                    .push((pointer.clone(), value.clone(), *status)),
                Fault::DuplicateBatch | Fault::WithholdBatch { .. } => {}
            }
        }
        decision
    }

    /// The batch fault for a non-empty polling batch, if a rule applies.
    pub fn batch_fault(&mut self, operation: &str) -> Option<Fault> {
        self.rules
            .iter_mut()
            .filter(|r| r.rule.fault.is_batch_fault() && r.matches(operation))
            .find_map(|r| r.hit().then(|| r.rule.fault.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_times_and_order() {
        let mut faults = Faults::default();
        faults.add(
            FaultRule::new(Fault::Unavailable { retry_after: 1 })
                .operation("getUser")
                .skip(1)
                .times(2),
        );
        faults.add(FaultRule::new(Fault::Latency { ms: 5 }));
        let first = faults.decide("getUser");
        assert_eq!(first.unavailable, None);
        assert_eq!(first.latency_ms, 5);
        assert_eq!(faults.decide("getUser").unavailable, Some(1));
        assert_eq!(faults.decide("createRoom").unavailable, None);
        assert_eq!(faults.decide("getUser").unavailable, Some(1));
        assert_eq!(faults.decide("getUser").unavailable, None, "spent");
        assert_eq!(faults.list()[0].applied, 2);
    }

    #[test]
    fn batch_faults_are_separate() {
        let mut faults = Faults::default();
        faults.add(
            FaultRule::new(Fault::DuplicateBatch)
                .operation("pollAppEvents")
                .times(1),
        );
        assert_eq!(faults.decide("pollAppEvents"), Decision::default());
        assert_eq!(
            faults.batch_fault("pollAppEvents"),
            Some(Fault::DuplicateBatch)
        );
        assert_eq!(faults.batch_fault("pollAppEvents"), None);
    }

    #[test]
    fn rules_read_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"operation":"pollAppEvents","times":2,"fault":{"type":"withholdBatch","redeliver":true}}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::new(Fault::WithholdBatch { redeliver: true })
                .operation("pollAppEvents")
                .times(2)
        );
        let rule: FaultRule =
            serde_json::from_str(r#"{"fault":{"type":"unavailable","retryAfter":3}}"#).unwrap();
        assert_eq!(rule.fault, Fault::Unavailable { retry_after: 3 });
    }
}
