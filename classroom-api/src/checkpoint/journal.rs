//! The [`FileStore`](super::FileStore) journal: the checkpoint changes since the last snapshot,
//! one record per commit.
//!
//! The format, all integers little-endian:
//!
//! * a header of 16 bytes: the magic `CLSRMJN1`, then the generation (`u64`) of the snapshot the
//!   journal continues;
//! * records, each the payload's length (`u32`, never 0), the CRC-32 (IEEE) of the generation,
//!   that length and the payload (`u32`), then the payload: operations, each `1`, the room's length
//!   (`u32`), the room (UTF-8) and the sequence (`i64`) to set a room, or `2`, the room's length and
//!   the room to forget one;
//! * zeros to the end of the file (the journal is written full of zeros when created, so that an
//!   append overwrites allocated space and `fdatasync` has no metadata to flush).
//!
//! Reading stops at the first record that is not whole: a zero length (the end), a length past
//! the end of the file, or a CRC that does not match (a record torn by a crash, or damaged). A
//! record whose CRC matches but whose payload is not operations is an error: no crash makes one.

use super::Checkpoints;

/// The header's magic.
const MAGIC: &[u8; 8] = b"CLSRMJN1";

/// The header's length; the first record starts here.
pub(super) const HEADER_LEN: usize = 16;

/// A record's length and CRC.
const FRAME_LEN: usize = 8;

const SET: u8 = 1;
const REMOVE: u8 = 2;

/// One change of the checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Op {
    /// Sets a room's checkpoint.
    Set(String, i64),
    /// Forgets a room.
    Remove(String),
}

/// Applies `ops` in order.
pub(super) fn apply(rooms: &mut Checkpoints, ops: Vec<Op>) {
    for op in ops {
        match op {
            Op::Set(room, sequence) => {
                rooms.insert(room, sequence);
            }
            Op::Remove(room) => {
                rooms.remove(&room);
            }
        }
    }
}

/// The header of a journal continuing the snapshot of `generation`.
pub(super) fn header(generation: u64) -> [u8; HEADER_LEN] {
    let mut out = [0; HEADER_LEN];
    out[..8].copy_from_slice(MAGIC);
    out[8..].copy_from_slice(&generation.to_le_bytes());
    out
}

/// The generation a journal continues, from its header.
pub(super) fn generation(bytes: &[u8]) -> Result<u64, String> {
    match bytes.get(..HEADER_LEN) {
        Some(head) if head.starts_with(MAGIC) => {
            let mut generation = [0; 8];
            generation.copy_from_slice(&head[8..]);
            Ok(u64::from_le_bytes(generation))
        }
        _ => Err("it does not start with a journal header".to_owned()),
    }
}

/// The record of `ops` in a journal of `generation`, framed.
pub(super) fn record(generation: u64, ops: &[Op]) -> Vec<u8> {
    let mut out = vec![0; FRAME_LEN];
    for op in ops {
        let (tag, room, sequence) = match op {
            Op::Set(room, sequence) => (SET, room, Some(sequence)),
            Op::Remove(room) => (REMOVE, room, None),
        };
        out.push(tag);
        // A room longer than 4 GiB cannot be a room uuid: the length saturates, and the record
        // then fails to read rather than being misread.
        out.extend_from_slice(&u32::try_from(room.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(room.as_bytes());
        if let Some(sequence) = sequence {
            out.extend_from_slice(&sequence.to_le_bytes());
        }
    }
    let len = u32::try_from(out.len() - FRAME_LEN)
        .unwrap_or(u32::MAX)
        .to_le_bytes();
    let crc = checksum(generation, len, &out[FRAME_LEN..]);
    out[..4].copy_from_slice(&len);
    out[4..FRAME_LEN].copy_from_slice(&crc.to_le_bytes());
    out
}

/// What reading a journal found.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Replayed {
    /// Whole records applied.
    pub records: usize,
    /// Where the whole records end.
    pub end: usize,
    /// Whether something other than zeros follows them (a torn or damaged record).
    pub torn: bool,
}

/// Applies the whole records of the journal `bytes` (of `generation`, its header checked) to
/// `rooms`, up to the first record that is not whole.
pub(super) fn replay(
    bytes: &[u8],
    generation: u64,
    rooms: &mut Checkpoints,
) -> Result<Replayed, String> {
    let mut at = HEADER_LEN;
    let mut records = 0;
    while let Some(frame) = bytes.get(at..at + FRAME_LEN) {
        let len = [frame[0], frame[1], frame[2], frame[3]];
        let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        let size = u32::from_le_bytes(len) as usize;
        if size == 0 {
            break;
        }
        let start = at + FRAME_LEN;
        let Some(payload) = start
            .checked_add(size)
            .and_then(|end| bytes.get(start..end))
        else {
            break;
        };
        if checksum(generation, len, payload) != crc {
            break;
        }
        let ops = decode(payload).map_err(|why| {
            format!(
                "record {} (at byte {at}) has a valid CRC but {why}",
                records + 1
            )
        })?;
        apply(rooms, ops);
        records += 1;
        at = start + size;
    }
    let torn = bytes
        .get(at..)
        .is_some_and(|rest| rest.iter().any(|&b| b != 0));
    Ok(Replayed {
        records,
        end: at,
        torn,
    })
}

/// The operations of a payload.
fn decode(mut payload: &[u8]) -> Result<Vec<Op>, String> {
    fn take<'a>(payload: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
        if payload.len() < n {
            return Err("ends inside an operation".to_owned());
        }
        let (head, rest) = payload.split_at(n);
        *payload = rest;
        Ok(head)
    }
    let mut ops = Vec::new();
    while let Some((&tag, rest)) = payload.split_first() {
        payload = rest;
        let mut len = [0; 4];
        len.copy_from_slice(take(&mut payload, 4)?);
        let room = take(&mut payload, u32::from_le_bytes(len) as usize)?;
        let room = std::str::from_utf8(room)
            .map_err(|_| "holds a room that is not UTF-8".to_owned())?
            .to_owned();
        ops.push(match tag {
            SET => {
                let mut sequence = [0; 8];
                sequence.copy_from_slice(take(&mut payload, 8)?);
                Op::Set(room, i64::from_le_bytes(sequence))
            }
            REMOVE => Op::Remove(room),
            other => return Err(format!("holds an unknown operation {other}")),
        });
    }
    Ok(ops)
}

/// The CRC of a record: over its journal's generation (so that no record of another journal
/// reads as one of this one), its length and its payload.
fn checksum(generation: u64, len: [u8; 4], payload: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(&generation.to_le_bytes());
    crc.update(&len);
    crc.update(payload);
    crc.finish()
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven: a few lines rather than
/// a crate in the users' build.
struct Crc32(u32);

const CRC_TABLE: [u32; 256] = {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

impl Crc32 {
    fn new() -> Self {
        Crc32(!0)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = CRC_TABLE[((self.0 ^ u32::from(b)) & 0xFF) as usize] ^ (self.0 >> 8);
        }
    }

    fn finish(self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc(bytes: &[u8]) -> u32 {
        let mut c = Crc32::new();
        c.update(bytes);
        c.finish()
    }

    #[test]
    fn the_crc_is_crc32_ieee() {
        // The standard check value, and agreement with crc32fast on assorted inputs.
        assert_eq!(crc(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc(b""), 0);
        for len in [1, 7, 64, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            assert_eq!(crc(&bytes), crc32fast::hash(&bytes), "{len} bytes");
        }
    }

    fn journal(generation: u64, records: &[Vec<Op>], zeros: usize) -> Vec<u8> {
        let mut out = header(generation).to_vec();
        for ops in records {
            out.extend(record(generation, ops));
        }
        out.resize(out.len() + zeros, 0);
        out
    }

    fn set(room: &str, sequence: i64) -> Op {
        Op::Set(room.to_owned(), sequence)
    }

    #[test]
    fn records_replay_in_order() {
        let records = [
            vec![set("a", 1), set("b", 2)],
            vec![Op::Remove("b".to_owned()), set("a", i64::MAX)],
            vec![set("\u{e9}t\u{e9}", -1)],
        ];
        let bytes = journal(7, &records, 100);
        let mut rooms = Checkpoints::new();
        let replayed = replay(&bytes, 7, &mut rooms).unwrap();
        assert_eq!(replayed.records, 3);
        assert!(!replayed.torn);
        assert_eq!(replayed.end, bytes.len() - 100);
        let expected: Checkpoints = [("a".to_owned(), i64::MAX), ("\u{e9}t\u{e9}".to_owned(), -1)]
            .into_iter()
            .collect();
        assert_eq!(rooms, expected);
        assert_eq!(generation(&bytes), Ok(7));
    }

    /// Every cut of the last record (a crash mid-append), and every flipped bit in it, leaves
    /// exactly the records before it.
    #[test]
    fn a_torn_or_damaged_last_record_is_ignored() {
        // The last byte is not zero: every cut removes some of the record.
        let records = [
            vec![set("a", 1)],
            vec![set("a", 2), set("b", 0x0102_0304_0506_0708)],
        ];
        let whole = journal(1, &records, 0);
        let first_end = HEADER_LEN + record(1, &records[0]).len();
        let expected: Checkpoints = [("a".to_owned(), 1)].into_iter().collect();
        for cut in first_end..whole.len() {
            let mut bytes = whole[..cut].to_vec();
            bytes.resize(whole.len() + 64, 0);
            let mut rooms = Checkpoints::new();
            let replayed = replay(&bytes, 1, &mut rooms).unwrap();
            assert_eq!((replayed.records, &rooms), (1, &expected), "cut at {cut}");
            assert_eq!(replayed.end, first_end);
            assert_eq!(replayed.torn, cut > first_end, "cut at {cut}");
        }
        for byte in first_end..whole.len() {
            for bit in 0..8 {
                let mut bytes = whole.clone();
                bytes[byte] ^= 1 << bit;
                let mut rooms = Checkpoints::new();
                let replayed = replay(&bytes, 1, &mut rooms).unwrap();
                assert_eq!(
                    (replayed.records, &rooms),
                    (1, &expected),
                    "bit {bit} of byte {byte}"
                );
                assert!(replayed.torn);
            }
        }
    }

    #[test]
    fn records_of_another_generation_do_not_read() {
        let bytes = journal(3, &[vec![set("a", 1)]], 0);
        let mut rooms = Checkpoints::new();
        assert_eq!(replay(&bytes, 4, &mut rooms).unwrap().records, 0);
        assert!(rooms.is_empty());
    }

    #[test]
    fn a_valid_crc_over_a_bad_payload_is_an_error() {
        for payload in [
            &[9u8, 0, 0, 0, 0][..],
            &[1, 5, 0, 0, 0, b'a'],
            &[2, 1, 0, 0, 0, 0xFF],
        ] {
            let len = (payload.len() as u32).to_le_bytes();
            let mut bytes = header(1).to_vec();
            bytes.extend_from_slice(&len);
            bytes.extend_from_slice(&checksum(1, len, payload).to_le_bytes());
            bytes.extend_from_slice(payload);
            let err = replay(&bytes, 1, &mut Checkpoints::new()).unwrap_err();
            assert!(
                err.starts_with("record 1 (at byte 16) has a valid CRC but "),
                "{err}"
            );
        }
        assert!(generation(b"CLSRMJN").is_err());
        assert!(generation(b"{\"version\": 1, \"rooms\": {}}").is_err());
    }
}
