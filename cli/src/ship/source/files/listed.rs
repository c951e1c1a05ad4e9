//! One file of a sink as listed, before it is tracked: the file itself, or
//! a compressed rotated file (`.gz`) standing for the file it was made of.
//!
//! The sink compresses a rotated file into `<rotated>.gz` and removes the
//! original (`logward::sink`'s `compress` module); the gzip header's
//! comment names the original's device and inode. A compressed file is
//! therefore the same file as its original for every question the source
//! asks: its identity is the original's device and inode and the hash of
//! its first decompressed bytes, and its lines and offsets are those of
//! the decompressed text. To be read, it is decompressed once into an
//! unlinked temporary file (in `$TMPDIR`, else `/tmp`), which then stands
//! for the original: the source reads on from the same offset, so a file
//! compressed while it was being shipped loses and repeats nothing. Only
//! files still to be shipped are decompressed; the others are only asked
//! who they are, which reads the header and the first bytes.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::super::identity::FileId;
use logward::sink::parse_origin_comment;

/// A listed file of the sink, opened.
pub(super) struct Listed {
    file: File,
    /// For a compressed file: its path, and the original's device and inode.
    compressed: Option<(PathBuf, (u64, u64))>,
}

impl Listed {
    /// `file`, found at `path`; `compressed` when it is a `.gz` rotated file.
    pub(super) fn new(file: File, path: PathBuf, compressed: bool) -> io::Result<Listed> {
        if !compressed {
            return Ok(Listed {
                file,
                compressed: None,
            });
        }
        let origin = match origin(&file)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?
        {
            Some(origin) => origin,
            // Compressed by someone else: a file of its own.
            None => {
                let meta = file.metadata()?;
                (meta.dev(), meta.ino())
            }
        };
        Ok(Listed {
            file,
            compressed: Some((path, origin)),
        })
    }

    /// Device and inode of the file as written by the sink.
    pub(super) fn ident(&self) -> io::Result<(u64, u64)> {
        match &self.compressed {
            Some((_, origin)) => Ok(*origin),
            None => {
                let meta = self.file.metadata()?;
                Ok((meta.dev(), meta.ino()))
            }
        }
    }

    /// Whether this is the file `id` describes.
    pub(super) fn matches(&self, id: &FileId) -> io::Result<bool> {
        let Some((_, origin)) = &self.compressed else {
            return id.matches(&self.file);
        };
        if *origin != (id.dev, id.ino) {
            return Ok(false);
        }
        let mut prefix = Vec::new();
        decoder(&self.file)?
            .take(id.prefix_len)
            .read_to_end(&mut prefix)?;
        let hash: String = Sha256::digest(&prefix)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(prefix.len() as u64 == id.prefix_len && hash == id.prefix_sha256)
    }

    /// The file to read, and the identity to track it by.
    pub(super) fn open(self) -> io::Result<(File, FileId)> {
        let Some((path, (dev, ino))) = self.compressed else {
            let id = FileId::of(&self.file)?;
            return Ok((self.file, id));
        };
        let mut text = tempfile::tempfile()?;
        io::copy(&mut decoder(&self.file)?, &mut text).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot decompress {}: {e}", path.display()),
            )
        })?;
        let mut id = FileId::of(&text)?;
        (id.dev, id.ino) = (dev, ino);
        Ok((text, id))
    }
}

/// A decoder of `file` from its start.
fn decoder(file: &File) -> io::Result<MultiGzDecoder<File>> {
    let mut file = file.try_clone()?;
    io::Seek::rewind(&mut file)?;
    Ok(MultiGzDecoder::new(file))
}

/// The original's device and inode, from the gzip header's comment, if
/// logward compressed the file.
fn origin(file: &File) -> io::Result<Option<(u64, u64)>> {
    let mut decoder = decoder(file)?;
    // The header is parsed with the first read.
    let mut first = [0u8; 1];
    let _ = decoder.read(&mut first)?;
    Ok(decoder
        .header()
        .and_then(|header| header.comment())
        .and_then(parse_origin_comment))
}
