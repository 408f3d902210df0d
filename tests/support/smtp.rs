//! A tiny SMTP server on 127.0.0.1 for the email tests: it speaks just enough ESMTP for lettre
//! (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it
//! receives, and decodes them so tests can assert on the text a person would read.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers AUTH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// AUTH is not advertised.
    Off,
    /// AUTH PLAIN is advertised and any credentials are accepted.
    Accept,
    /// AUTH PLAIN is advertised and every attempt is refused with a 535 that echoes the
    /// credentials.
    Reject,
}

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The raw message (headers and encoded body), lines joined with `\n`, dots unstuffed.
    pub data: String,
    /// The (user, password) given with AUTH PLAIN on this connection.
    pub auth: Option<(String, String)>,
}

pub struct SmtpServer {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start(auth: Auth) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&messages);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, auth, Arc::clone(&store)));
            }
        });
        SmtpServer {
            port,
            messages,
            task,
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().expect("messages").clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, auth: Auth, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut current = Received::default();
    let mut in_data = false;
    let mut awaiting_plain = false;
    let _ = write.write_all(b"220 test.local ESMTP ready\r\n").await;
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let reply: String = if in_data {
            if line == "." {
                in_data = false;
                store.lock().expect("store").push(current.clone());
                current.rcpt_to.clear();
                current.data.clear();
                "250 2.0.0 queued".into()
            } else {
                current
                    .data
                    .push_str(line.strip_prefix('.').unwrap_or(line));
                current.data.push('\n');
                continue;
            }
        } else if awaiting_plain {
            awaiting_plain = false;
            plain_auth(auth, line, &mut current)
        } else {
            let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" if auth == Auth::Off => "250 test.local".into(),
                "EHLO" => "250-test.local\r\n250 AUTH PLAIN".into(),
                "HELO" | "RSET" | "NOOP" => "250 OK".into(),
                "AUTH" => match arg.split_once(' ') {
                    Some((mech, initial)) if mech.eq_ignore_ascii_case("PLAIN") => {
                        plain_auth(auth, initial, &mut current)
                    }
                    None if arg.eq_ignore_ascii_case("PLAIN") => {
                        awaiting_plain = true;
                        "334 ".into()
                    }
                    _ => "504 5.5.4 only PLAIN".into(),
                },
                "MAIL" => {
                    current.mail_from = address(arg);
                    "250 OK".into()
                }
                "RCPT" => {
                    current.rcpt_to.push(address(arg));
                    "250 OK".into()
                }
                "DATA" => {
                    in_data = true;
                    "354 end with <CRLF>.<CRLF>".into()
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => "502 5.5.2 not implemented".into(),
            }
        };
        if write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

fn plain_auth(auth: Auth, encoded: &str, current: &mut Received) -> String {
    let decoded = String::from_utf8(base64_decode(encoded)).unwrap_or_default();
    let mut parts = decoded.split('\0').skip(1);
    let user = parts.next().unwrap_or_default().to_string();
    let password = parts.next().unwrap_or_default().to_string();
    // A careless server that echoes what it was given, so tests can check the client keeps
    // the password out of its errors.
    let reply = match auth {
        Auth::Reject => format!("535 5.7.8 credentials {user}/{password} invalid"),
        _ => "235 2.7.0 authenticated".to_string(),
    };
    current.auth = Some((user, password));
    reply
}

/// `FROM:<a@b>` or `TO:<a@b> SIZE=...` → `a@b`.
fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.find('>').unwrap_or(arg.len());
    arg[start..end].to_string()
}

pub fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == b) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn quoted_printable_decode(text: &str, underscore_is_space: bool) -> Vec<u8> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

impl Received {
    fn split(&self) -> (&str, &str) {
        self.data.split_once("\n\n").unwrap_or((&self.data, ""))
    }

    /// A header's value, unfolded and with RFC 2047 encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.split();
        let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let raw = unfolded
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))?[prefix.len()..]
            .trim()
            .to_string();
        Some(decode_words(&raw))
    }

    /// The body as text, decoded from its Content-Transfer-Encoding.
    pub fn body(&self) -> String {
        let (_, body) = self.split();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64_decode(body),
            "quoted-printable" => quoted_printable_decode(body, false),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes).expect("utf-8 body")
    }
}

/// Decodes `=?utf-8?b?...?=` and `=?utf-8?q?...?=` words; the space between two adjacent
/// encoded words is not part of the text.
fn decode_words(raw: &str) -> String {
    let mut out = String::new();
    let mut previous_was_word = false;
    for (i, token) in raw.split(' ').enumerate() {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, kind, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match kind {
                    "b" | "B" => base64_decode(text),
                    "q" | "Q" => quoted_printable_decode(text, true),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match word {
            Some(text) => {
                if i > 0 && !previous_was_word {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_was_word = true;
            }
            None => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(token);
                previous_was_word = false;
            }
        }
    }
    out
}
