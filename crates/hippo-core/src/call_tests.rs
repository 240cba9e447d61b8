//! The call state machine, step by step, with no sockets and a clock the
//! test sets.

use super::*;

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_000_000 + ms)
}

struct Two {
    call: Call,
    ana: UserId,
    ben: UserId,
    ana_tab: SessionId,
    ben_phone: SessionId,
    ben_desk: SessionId,
}

fn two(topology: CallTopology) -> Two {
    let (ana, ben) = (UserId::generate(), UserId::generate());
    let ana_tab = SessionId::generate();
    let call = Call::start(
        CallId::generate(),
        ConversationId::generate(),
        CallMedia::Video,
        topology,
        false,
        (&ana, &ana_tab),
        &[ana.clone(), ben.clone()],
        t(0),
    );
    Two {
        call,
        ana,
        ben,
        ana_tab,
        ben_phone: SessionId::generate(),
        ben_desk: SessionId::generate(),
    }
}

#[test]
fn a_call_rings_is_answered_on_one_session_and_ends_on_hang_up() {
    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.state(), CallState::Ringing);
    assert_eq!(c.call.participants.len(), 2, "the caller is not rung");
    assert!(c.call.is_joined(&c.ana, &c.ana_tab));
    assert_eq!(
        c.call.participant(&c.ben).map(|p| p.state),
        Some(ParticipantState::Ringing)
    );

    assert_eq!(
        c.call.join(&c.ben, &c.ben_phone, t(3_000)),
        Ok(Step::Changed)
    );
    assert_eq!(c.call.state(), CallState::Active);
    assert_eq!(c.call.answered_at, Some(t(3_000)));
    assert_eq!(c.call.version, 2);
    // Answered elsewhere: the desk cannot answer too, nor decline.
    assert_eq!(
        c.call.join(&c.ben, &c.ben_desk, t(3_100)),
        Err(CallRefusal::JoinedElsewhere)
    );
    assert_eq!(
        c.call.decline(&c.ben, t(3_100)),
        Err(CallRefusal::AlreadyJoined)
    );
    // Joining again from the same session is a repeat.
    assert_eq!(
        c.call.join(&c.ben, &c.ben_phone, t(3_200)),
        Ok(Step::Unchanged)
    );
    assert_eq!(c.call.version, 2);
    assert!(c.call.is_joined(&c.ben, &c.ben_phone));
    assert!(!c.call.is_joined(&c.ben, &c.ben_desk));

    assert_eq!(c.call.leave(&c.ben, t(63_000)), Ok(Step::Ended));
    assert_eq!(c.call.state(), CallState::Ended);
    assert_eq!(c.call.end_reason, Some(CallEndReason::Hangup));
    assert_eq!(c.call.duration_ms(), Some(60_000));
    assert!(
        c.call
            .participants
            .iter()
            .all(|p| p.state == ParticipantState::Left && p.left_at == Some(t(63_000)))
    );
    assert!(
        !c.call.is_joined(&c.ana, &c.ana_tab),
        "no signals after the end"
    );
    // After the end: a repeat hang-up changes nothing; a join is refused.
    assert_eq!(c.call.leave(&c.ana, t(64_000)), Ok(Step::Unchanged));
    assert_eq!(
        c.call.join(&c.ben, &c.ben_phone, t(64_000)),
        Err(CallRefusal::Ended)
    );
    assert_eq!(
        c.call.leave(&UserId::generate(), t(64_000)),
        Err(CallRefusal::NotInvited)
    );
}

#[test]
fn declining_ends_a_two_party_call_and_nobody_answering_ends_it_as_missed() {
    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.decline(&c.ben, t(1_000)), Ok(Step::Ended));
    assert_eq!(c.call.end_reason, Some(CallEndReason::Declined));
    assert_eq!(c.call.duration_ms(), Some(0));

    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.expire(t(RING_TIMEOUT_MS - 1)), Step::Unchanged);
    assert_eq!(c.call.expire(t(RING_TIMEOUT_MS)), Step::Ended);
    assert_eq!(c.call.end_reason, Some(CallEndReason::Missed));
    assert_eq!(c.call.expire(t(RING_TIMEOUT_MS + 1)), Step::Unchanged);

    // An answered call does not time out.
    let mut c = two(CallTopology::P2p);
    c.call.join(&c.ben, &c.ben_phone, t(1_000)).unwrap();
    assert_eq!(c.call.expire(t(10 * RING_TIMEOUT_MS)), Step::Unchanged);
    // A stranger can do nothing.
    let stranger = UserId::generate();
    assert_eq!(
        c.call.join(&stranger, &SessionId::generate(), t(2_000)),
        Err(CallRefusal::NotInvited)
    );
    assert_eq!(
        c.call.decline(&stranger, t(2_000)),
        Err(CallRefusal::NotInvited)
    );
}

#[test]
fn the_caller_cancelling_and_a_callee_hanging_up_while_rung() {
    // The caller gives up before an answer: the call ends.
    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.leave(&c.ana, t(5_000)), Ok(Step::Ended));
    assert_eq!(c.call.end_reason, Some(CallEndReason::Hangup));
    assert_eq!(c.call.duration_ms(), Some(0));
    // A callee hanging up while still rung declines.
    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.leave(&c.ben, t(5_000)), Ok(Step::Ended));
    assert_eq!(c.call.end_reason, Some(CallEndReason::Declined));
}

#[test]
fn a_deactivated_participant_is_dropped() {
    let mut c = two(CallTopology::P2p);
    c.call.join(&c.ben, &c.ben_phone, t(1_000)).unwrap();
    assert_eq!(c.call.drop_user(&c.ben, t(9_000)), Step::Ended);
    assert_eq!(c.call.end_reason, Some(CallEndReason::Deactivated));
    assert_eq!(c.call.drop_user(&c.ben, t(9_500)), Step::Unchanged);
    // Someone not in the call: nothing.
    let mut c = two(CallTopology::P2p);
    assert_eq!(c.call.drop_user(&UserId::generate(), t(1)), Step::Unchanged);
}

#[test]
fn a_group_call_goes_on_until_the_last_one_leaves() {
    let mut c = two(CallTopology::Sfu);
    let cy = UserId::generate();
    c.call.participants.push(Participant {
        user_id: cy.clone(),
        state: ParticipantState::Ringing,
        session_id: None,
        joined_at: None,
        left_at: None,
    });
    c.call.join(&c.ben, &c.ben_phone, t(1_000)).unwrap();
    // Cy declines: the other two talk on.
    assert_eq!(c.call.decline(&cy, t(2_000)), Ok(Step::Changed));
    assert_eq!(c.call.leave(&c.ana, t(3_000)), Ok(Step::Changed));
    assert_eq!(c.call.state(), CallState::Active);
    // Ana rejoins from her tab, then both leave.
    assert_eq!(c.call.join(&c.ana, &c.ana_tab, t(4_000)), Ok(Step::Changed));
    assert_eq!(c.call.leave(&c.ana, t(5_000)), Ok(Step::Changed));
    assert_eq!(c.call.leave(&c.ben, t(6_000)), Ok(Step::Ended));
    assert_eq!(c.call.duration_ms(), Some(5_000));
}

#[test]
fn participants_round_trip_through_the_store_encoding() {
    let mut c = two(CallTopology::P2p);
    c.call.join(&c.ben, &c.ben_phone, t(1_000)).unwrap();
    let text = encode_participants(&c.call.participants);
    assert_eq!(
        decode_participants(&text),
        Some(c.call.participants.clone())
    );
    assert_eq!(decode_participants("{"), None);
    assert!(!text.contains("sdp"));
}
