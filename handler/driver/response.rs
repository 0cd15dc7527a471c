//! CloudFormation's side of a custom resource's answer, for the driver: a loopback listener
//! that the request's ResponseURL points at. It takes PUTs as S3 would and hands back the
//! first body.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct Receiver {
    listener: TcpListener,
    pub url: String,
}

impl Receiver {
    pub async fn bind() -> Result<Receiver, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on loopback: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        Ok(Receiver {
            listener,
            url: format!("http://127.0.0.1:{port}/cfn-response"),
        })
    }

    /// The first answer PUT, within `within`.
    pub async fn answer(&self, within: Duration) -> Result<Value, String> {
        tokio::time::timeout(within, async {
            loop {
                let (mut socket, _) = self.listener.accept().await.map_err(|e| e.to_string())?;
                let mut seen = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then Content-Length bytes of body.
                let (head_end, length) = loop {
                    let n = socket.read(&mut chunk).await.map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err("the answer's connection closed early".into());
                    }
                    seen.extend_from_slice(&chunk[..n]);
                    if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&seen[..i]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, length);
                    }
                };
                while seen.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.map_err(|e| e.to_string())?;
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&chunk[..n]);
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                if seen.starts_with(b"PUT ") {
                    let end = (head_end + length).min(seen.len());
                    return serde_json::from_slice(&seen[head_end..end])
                        .map_err(|e| format!("the answer is not JSON: {e}"));
                }
            }
        })
        .await
        .map_err(|_| format!("no answer at ResponseURL within {} s", within.as_secs()))?
    }
}
