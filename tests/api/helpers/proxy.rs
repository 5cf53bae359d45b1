//! A TCP proxy between the app's pool and PostgreSQL that a test can cut and restore, to see
//! what the service does while its database is unreachable.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub struct Proxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (o, s, c) = (open.clone(), stop.clone(), conns.clone());
        thread::spawn(move || accept_loop(listener, port, upstream, o, s, c));
        Self {
            port,
            open,
            conns,
            stop,
        }
    }

    /// Closes every proxied connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for conn in self.conns.lock().unwrap().drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
    }
}

fn accept_loop(
    listener: TcpListener,
    port: u16,
    upstream: SocketAddr,
    open: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
) {
    let mut listener = Some(listener);
    while !stop.load(Ordering::SeqCst) {
        if !open.load(Ordering::SeqCst) {
            listener = None; // closed: connections are refused
            thread::sleep(Duration::from_millis(10));
            continue;
        }
        if listener.is_none() {
            listener = TcpListener::bind(("127.0.0.1", port)).ok();
        }
        let Some(l) = &listener else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        l.set_nonblocking(true).unwrap();
        match l.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                if let Ok(server) = TcpStream::connect(upstream) {
                    let mut guard = conns.lock().unwrap();
                    guard.push(client.try_clone().unwrap());
                    guard.push(server.try_clone().unwrap());
                    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                    pipe(server, client);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
