//! A TCP proxy between the adapter and the server that logs the type of every frontend
//! protocol message and can be stopped (connections cut, port closed) and restarted on
//! the same port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::postgres::PgConnectOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Startup-phase request codes after which the client sends another untyped message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// The type bytes of the frontend messages seen so far, in arrival order, over every
/// connection (`P` parse, `D` describe, `B` bind, `E` execute, `C` close, `S` sync,
/// `Q` simple query, ...). The untyped startup messages are not logged.
#[derive(Debug, Clone, Default)]
pub struct MessageLog(Arc<Mutex<Vec<u8>>>);

impl MessageLog {
    fn entries(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many messages were logged.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The type bytes logged from position `start` on, as text.
    pub fn since(&self, start: usize) -> String {
        self.entries()[start..]
            .iter()
            .map(|&byte| char::from(byte))
            .collect()
    }

    fn push(&self, message_type: u8) {
        self.entries().push(message_type);
    }
}

/// Splits the client-to-server byte stream into protocol messages.
#[derive(Debug, Default)]
struct FrontendParser {
    pending: Vec<u8>,
    startup_done: bool,
}

impl FrontendParser {
    fn feed(&mut self, bytes: &[u8], log: &MessageLog) {
        self.pending.extend_from_slice(bytes);
        loop {
            let header = if self.startup_done { 5 } else { 8 };
            if self.pending.len() < header {
                return;
            }
            let length_at = usize::from(self.startup_done);
            let length = u32::from_be_bytes(
                self.pending[length_at..length_at + 4]
                    .try_into()
                    .expect("four bytes"),
            ) as usize;
            let total = length_at + length;
            if self.pending.len() < total {
                return;
            }
            if self.startup_done {
                log.push(self.pending[0]);
            } else {
                let code = u32::from_be_bytes(self.pending[4..8].try_into().expect("four bytes"));
                self.startup_done = code != SSL_REQUEST && code != GSSENC_REQUEST;
            }
            self.pending.drain(..total);
        }
    }
}

/// The proxy. Dropping it stops it.
#[derive(Debug)]
pub struct WireProxy {
    listen: SocketAddr,
    upstream: SocketAddr,
    log: MessageLog,
    running: Mutex<Option<Running>>,
}

/// The accept task of a listening proxy and the flag that stops it.
#[derive(Debug)]
struct Running {
    accepting: JoinHandle<()>,
    stopped: Arc<AtomicBool>,
}

impl Running {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Aborting the accept task drops the listener and its JoinSet, which aborts every
        // connection task and so closes both sockets of each connection.
        self.accepting.abort();
    }
}

impl WireProxy {
    /// Starts a proxy on a free local port in front of the server `database_url` names.
    pub async fn start(database_url: &str) -> WireProxy {
        let options: PgConnectOptions = database_url
            .parse()
            .unwrap_or_else(|error| panic!("{database_url:?} is not a PostgreSQL URL: {error}"));
        let host = match options.get_host() {
            "localhost" => "127.0.0.1",
            host => host,
        };
        let upstream = tokio::net::lookup_host((host, options.get_port()))
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .unwrap_or_else(|| panic!("cannot resolve the PostgreSQL host {host:?}"));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a local port for the proxy");
        let listen = listener.local_addr().expect("the proxy's port");
        let proxy = WireProxy {
            listen,
            upstream,
            log: MessageLog::default(),
            running: Mutex::new(None),
        };
        proxy.serve(listener);
        proxy
    }

    /// `database_url` with its host and port replaced by the proxy's.
    pub fn url_for(&self, database_url: &str) -> String {
        let (scheme, rest) = database_url
            .split_once("://")
            .unwrap_or_else(|| panic!("{database_url:?} is not a URL"));
        let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"));
        format!(
            "{scheme}://{}{}{path}",
            user.unwrap_or_default(),
            self.listen
        )
    }

    /// The message log.
    pub fn log(&self) -> &MessageLog {
        &self.log
    }

    /// Cuts every proxied connection and closes the port: connecting is refused until
    /// [`WireProxy::resume`].
    pub fn stop(&self) {
        if let Some(running) = self.running().take() {
            running.stop();
        }
    }

    /// Listens on the same port again after [`WireProxy::stop`].
    pub async fn resume(&self) {
        let previous = self.running().take();
        if let Some(running) = previous {
            running.stop();
            // Wait for the old listener to be gone before binding its port again.
            let _ = running.accepting.await;
        }
        let listener = TcpListener::bind(self.listen)
            .await
            .unwrap_or_else(|error| {
                panic!("binding the proxy port {} again: {error}", self.listen)
            });
        self.serve(listener);
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let log = self.log.clone();
        // Set when this listener is stopped: aborting its tasks takes effect at their next
        // await, so every task also checks the flag before it relays anything more.
        let stopped = Arc::new(AtomicBool::new(false));
        let accepting = tokio::spawn({
            let stopped = Arc::clone(&stopped);
            async move {
                let mut connections = JoinSet::new();
                while let Ok((client, _)) = listener.accept().await {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    connections.spawn(relay(client, upstream, log.clone(), Arc::clone(&stopped)));
                    while connections.try_join_next().is_some() {}
                }
            }
        });
        *self.running() = Some(Running { accepting, stopped });
    }
}

impl Drop for WireProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copies bytes both ways, logging the client's messages, until either side closes or
/// the proxy is stopped.
async fn relay(client: TcpStream, upstream: SocketAddr, log: MessageLog, stopped: Arc<AtomicBool>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let to_server = async {
        let mut parser = FrontendParser::default();
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(read @ 1..) = client_read.read(&mut buffer).await {
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            parser.feed(&buffer[..read], &log);
            if server_write.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
    };
    let to_client = async {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(read @ 1..) = server_read.read(&mut buffer).await {
            if stopped.load(Ordering::SeqCst)
                || client_write.write_all(&buffer[..read]).await.is_err()
            {
                break;
            }
        }
    };
    // Either direction ending ends the connection, as a real network cut would.
    tokio::select! {
        () = to_server => {}
        () = to_client => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(message_type: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![message_type];
        bytes.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn parser_skips_startup_and_splits_messages_across_reads() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&8u32.to_be_bytes());
        stream.extend_from_slice(&SSL_REQUEST.to_be_bytes());
        stream.extend_from_slice(&12u32.to_be_bytes());
        stream.extend_from_slice(&196_608u32.to_be_bytes());
        stream.extend_from_slice(b"u\0p\0");
        stream.extend(message(b'B', b"portal"));
        stream.extend(message(b'E', b"\0\0\0\0\0"));
        stream.extend(message(b'S', b""));
        let log = MessageLog::default();
        let mut parser = FrontendParser::default();
        for chunk in stream.chunks(3) {
            parser.feed(chunk, &log);
        }
        assert_eq!(log.since(0), "BES");
    }

    #[test]
    fn proxied_url_keeps_user_path_and_query() {
        let proxy = WireProxy {
            listen: "127.0.0.1:4000".parse().unwrap(),
            upstream: "127.0.0.1:5432".parse().unwrap(),
            log: MessageLog::default(),
            running: Mutex::new(None),
        };
        assert_eq!(
            proxy.url_for("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
            "postgres://postgres@127.0.0.1:4000/postgres?sslmode=disable"
        );
        assert_eq!(
            proxy.url_for("postgresql://localhost"),
            "postgresql://127.0.0.1:4000"
        );
    }
}
