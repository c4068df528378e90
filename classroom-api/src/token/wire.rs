//! Little-endian packing shared by the 006 and 007 formats.
//!
//! Integers are little-endian; strings and byte strings carry a `u16`
//! length prefix; a privilege map is a `u16` count followed by
//! `(u16 key, u32 value)` pairs sorted by key.

use std::collections::BTreeMap;

use super::{Malformed, TokenError};

/// Appends packed values to a byte buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn i16(&mut self, v: i16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends raw bytes without a length prefix.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// Appends a `u16`-length-prefixed byte string.
    pub(crate) fn bytes(
        &mut self,
        part: &'static str,
        bytes: &[u8],
    ) -> Result<&mut Self, TokenError> {
        let len = u16::try_from(bytes.len()).map_err(|_| TokenError::TooLarge { part })?;
        self.u16(len);
        self.buf.extend_from_slice(bytes);
        Ok(self)
    }

    /// Appends a privilege map (sorted by key, as `BTreeMap` iterates).
    pub(crate) fn map(
        &mut self,
        part: &'static str,
        map: &BTreeMap<u16, u32>,
    ) -> Result<&mut Self, TokenError> {
        let len = u16::try_from(map.len()).map_err(|_| TokenError::TooLarge { part })?;
        self.u16(len);
        for (k, v) in map {
            self.u16(*k).u32(*v);
        }
        Ok(self)
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads packed values from a byte slice; every read names the part of the
/// token it reads so that a truncated token says where it ends.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    fn take(&mut self, n: usize, part: &'static str) -> Result<&'a [u8], Malformed> {
        if self.buf.len() < n {
            return Err(Malformed::Truncated { part });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u16(&mut self, part: &'static str) -> Result<u16, Malformed> {
        let b = self.take(2, part)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn i16(&mut self, part: &'static str) -> Result<i16, Malformed> {
        let b = self.take(2, part)?;
        Ok(i16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, part: &'static str) -> Result<u32, Malformed> {
        let b = self.take(4, part)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The length-prefixed 32-byte HMAC-SHA256 signature both token formats start with.
    pub(crate) fn signature(&mut self) -> Result<&'a [u8], Malformed> {
        let signature = self.bytes("signature")?;
        if signature.len() != 32 {
            return Err(Malformed::SignatureLength {
                len: signature.len(),
            });
        }
        Ok(signature)
    }

    /// Reads a `u16`-length-prefixed byte string.
    pub(crate) fn bytes(&mut self, part: &'static str) -> Result<&'a [u8], Malformed> {
        let len = self.u16(part)?;
        self.take(usize::from(len), part)
    }

    /// Reads a `u16`-length-prefixed UTF-8 string.
    pub(crate) fn string(&mut self, part: &'static str) -> Result<String, Malformed> {
        let bytes = self.bytes(part)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Malformed::NotUtf8 { part })
    }

    /// Reads a privilege map. A repeated key keeps its last value.
    pub(crate) fn map(&mut self, part: &'static str) -> Result<BTreeMap<u16, u32>, Malformed> {
        let n = self.u16(part)?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = self.u16(part)?;
            let v = self.u32(part)?;
            map.insert(k, v);
        }
        Ok(map)
    }

    /// Consumes and returns the bytes not read yet.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
}
