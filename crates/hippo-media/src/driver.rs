//! The I/O driver: the [`Sfu`] core on one tokio `UdpSocket`, one port for
//! every participant of every room.
//!
//! [`spawn_udp`] binds the socket and starts one task that owns the core.
//! The server talks to it through an [`SfuHandle`] (add and remove
//! participants, apply answers) and reads the core's [`Event`]s from the
//! receiver it is given. The task ends when the last handle is dropped.
//! The clock is read here and only here (`Instant::now`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::{Event, MediaError, Output, ParticipantId, RoomId, Sfu};

/// Commands waiting for the task (each is quick: SDP work only).
const COMMAND_QUEUE: usize = 64;
/// Larger than any datagram on a 1500-byte path.
const RECEIVE_BUFFER: usize = 2048;

type Reply<T> = oneshot::Sender<Result<T, MediaError>>;

enum Command {
    Add {
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: String,
        reply: Reply<String>,
    },
    Answer {
        room: RoomId,
        participant: ParticipantId,
        answer_sdp: String,
        reply: Reply<()>,
    },
    Remove {
        room: RoomId,
        participant: ParticipantId,
        reply: Reply<()>,
    },
}

/// The server's side of a running SFU; cheap to clone.
#[derive(Clone, Debug)]
pub struct SfuHandle {
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
    public_addr: SocketAddr,
}

/// Binds `bind` and runs an [`Sfu`] on it in a new task. Clients are given
/// `public_addr` as the SFU's candidate; a port of 0 there means the port
/// the socket got. Returns the handle and the stream of [`Event`]s.
pub async fn spawn_udp(
    bind: SocketAddr,
    public_addr: SocketAddr,
) -> std::io::Result<(SfuHandle, mpsc::UnboundedReceiver<Event>)> {
    let socket = UdpSocket::bind(bind).await?;
    let local_addr = socket.local_addr()?;
    let mut public_addr = public_addr;
    if public_addr.port() == 0 {
        public_addr.set_port(local_addr.port());
    }
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, events) = mpsc::unbounded_channel();
    tokio::spawn(run(socket, Sfu::new(public_addr), command_rx, event_tx));
    let handle = SfuHandle {
        commands,
        local_addr,
        public_addr,
    };
    Ok((handle, events))
}

impl SfuHandle {
    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address clients are told to send to.
    pub fn public_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// [`Sfu::add_participant`]: returns the answer to the client's offer.
    pub async fn add_participant(
        &self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: String,
    ) -> Result<String, MediaError> {
        self.call(|reply| Command::Add {
            room,
            participant,
            offer_sdp,
            reply,
        })
        .await
    }

    /// [`Sfu::apply_answer`]: the client's answer to an [`Event::Offer`].
    pub async fn apply_answer(
        &self,
        room: RoomId,
        participant: ParticipantId,
        answer_sdp: String,
    ) -> Result<(), MediaError> {
        self.call(|reply| Command::Answer {
            room,
            participant,
            answer_sdp,
            reply,
        })
        .await
    }

    /// [`Sfu::remove_participant`].
    pub async fn remove_participant(
        &self,
        room: RoomId,
        participant: ParticipantId,
    ) -> Result<(), MediaError> {
        self.call(|reply| Command::Remove {
            room,
            participant,
            reply,
        })
        .await
    }

    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, MediaError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| MediaError::Stopped)?;
        answer.await.map_err(|_| MediaError::Stopped)?
    }
}

async fn run(
    socket: UdpSocket,
    mut sfu: Sfu,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let destination = sfu.public_addr();
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    loop {
        let deadline = loop {
            match sfu.poll_output(Instant::now()) {
                Output::Transmit(to, bytes) => {
                    if let Err(e) = socket.send_to(&bytes, to).await {
                        tracing::debug!(error = %e, "media datagram not sent");
                    }
                }
                Output::Event(event) => {
                    // The server may have stopped listening; media goes on.
                    let _ = events.send(event);
                }
                Output::Timeout(at) => break at,
            }
        };
        let wake = deadline.max(Instant::now() + Duration::from_millis(1));
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => apply(&mut sfu, command),
                None => return,
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => {
                    let bytes = buf.get(..n).unwrap_or_default();
                    if let Err(e) = sfu.handle_input(source, destination, bytes, Instant::now()) {
                        tracing::trace!(error = %e, "media datagram dropped");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "media socket receive failed"),
            },
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

fn apply(sfu: &mut Sfu, command: Command) {
    // A caller that gave up waiting does not stop the change.
    match command {
        Command::Add {
            room,
            participant,
            offer_sdp,
            reply,
        } => {
            let result = sfu.add_participant(room, participant, &offer_sdp, Instant::now());
            let _ = reply.send(result);
        }
        Command::Answer {
            room,
            participant,
            answer_sdp,
            reply,
        } => {
            let _ = reply.send(sfu.apply_answer(&room, &participant, &answer_sdp));
        }
        Command::Remove {
            room,
            participant,
            reply,
        } => {
            let _ = reply.send(sfu.remove_participant(&room, &participant));
        }
    }
}
