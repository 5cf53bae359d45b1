//! Image checks and metadata stripping, pure: the type is read from the bytes (never from the
//! `Content-Type` header), the structure is walked, and everything that can carry where or when
//! a photo was taken, or by what, is dropped before the file is stored:
//!
//! - JPEG: APP1 (Exif, XMP and extended XMP), APP13 (Photoshop/IPTC), the other application
//!   segments except JFIF (APP0), ICC profiles (APP2 `ICC_PROFILE`) and Adobe (APP14, which says
//!   how the colours are coded), and comments (COM). Bytes after the end-of-image marker go too.
//! - PNG: `eXIf`, `tEXt`, `iTXt`, `zTXt` and `tIME` chunks; bytes after `IEND`.
//! - WebP: `EXIF` and `XMP ` chunks, with the EXIF and XMP flags of `VP8X` cleared and the RIFF
//!   size rewritten; bytes after the RIFF container.
//!
//! Input that does not walk as its format is refused, never guessed at; no input panics. The
//! pixels are not decoded, so an Exif orientation is lost with the Exif block.

/// One PNG chunk: its length, type, data and CRC-32 (for building images: the demo seed's
/// documents and the tests' crafted files).
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes()
        .to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// CRC-32 (IEEE, as PNG uses it), bit by bit: only small images are built.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The image types an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    /// The media type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }

    /// The type the first bytes announce, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(PNG_SIGNATURE) {
            Some(ImageType::Png)
        } else if bytes.len() >= 12
            && bytes.starts_with(b"RIFF")
            && bytes.get(8..12) == Some(b"WEBP")
        {
            Some(ImageType::Webp)
        } else {
            None
        }
    }
}

/// Why bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Not a JPEG, PNG or WebP signature.
    Unsupported,
    /// The signature of a type, but not its structure (what is wrong).
    Malformed(ImageType, &'static str),
}

/// Checks `bytes` and returns their type and a copy without metadata.
pub fn clean(bytes: &[u8]) -> Result<(ImageType, Vec<u8>), ImageError> {
    let kind = ImageType::sniff(bytes).ok_or(ImageError::Unsupported)?;
    let cleaned = match kind {
        ImageType::Jpeg => clean_jpeg(bytes),
        ImageType::Png => clean_png(bytes),
        ImageType::Webp => clean_webp(bytes),
    };
    cleaned
        .map(|out| (kind, out))
        .map_err(|why| ImageError::Malformed(kind, why))
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(usize::from(b[0]) << 8 | usize::from(b[1]))
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(b)).ok()
}

/// Whether a JPEG application or comment segment is kept.
fn keep_jpeg_segment(marker: u8, data: &[u8]) -> bool {
    match marker {
        0xE0 => data.starts_with(b"JFIF\0") || data.starts_with(b"JFXX\0"),
        0xE2 => data.starts_with(b"ICC_PROFILE\0"),
        0xEE => data.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

fn clean_jpeg(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let (mut at, mut frame, mut scan) = (2usize, false, false);
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err("expected a marker");
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes
            .get(at)
            .ok_or("truncated before the end-of-image marker")?;
        at += 1;
        match marker {
            0xD9 => {
                if !(frame && scan) {
                    return Err("no image data before the end-of-image marker");
                }
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            0xC0..=0xFE if marker != 0xD8 => {
                let len = be16(bytes, at).ok_or("truncated segment length")?;
                let end = at.checked_add(len).ok_or("segment too long")?;
                let segment = bytes
                    .get(at..end)
                    .filter(|_| len >= 2)
                    .ok_or("truncated segment")?;
                if keep_jpeg_segment(marker, &segment[2..]) {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                frame |= matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                at = end;
                if marker == 0xDA {
                    if !frame {
                        return Err("a scan before the frame header");
                    }
                    scan = true;
                    let data_end = entropy_end(bytes, at).ok_or("truncated scan data")?;
                    out.extend_from_slice(&bytes[at..data_end]);
                    at = data_end;
                }
            }
            _ => return Err("not a JPEG marker"),
        }
    }
}

/// Where the entropy-coded data starting at `from` ends: the first 0xFF that is neither a
/// stuffed zero nor a restart marker.
fn entropy_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let offset = bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        at += offset;
        match *bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            _ => return Some(at),
        }
    }
}

fn clean_png(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let (mut at, mut first, mut data) = (PNG_SIGNATURE.len(), true, false);
    loop {
        let len = be32(bytes, at).ok_or("truncated chunk length")?;
        if len > 0x7FFF_FFFF {
            return Err("chunk length out of range");
        }
        let kind = bytes.get(at + 4..at + 8).ok_or("truncated chunk type")?;
        let end = (at + 12).checked_add(len).ok_or("chunk too long")?;
        let chunk = bytes.get(at..end).ok_or("truncated chunk")?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err("not a PNG chunk type");
        }
        if first && kind != b"IHDR" {
            return Err("the first chunk is not IHDR");
        }
        first = false;
        data |= kind == b"IDAT";
        if !matches!(kind, b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            return if data { Ok(out) } else { Err("no IDAT chunk") };
        }
    }
}

/// VP8X flags that announce metadata chunks.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

fn clean_webp(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    let riff = le32(bytes, 4).ok_or("truncated RIFF header")?;
    let end = riff.checked_add(8).ok_or("RIFF size out of range")?;
    let body = bytes.get(12..end).ok_or("truncated RIFF container")?;
    let mut chunks = Vec::with_capacity(body.len());
    let (mut at, mut first) = (0usize, true);
    while at < body.len() {
        let fourcc = body.get(at..at + 4).ok_or("truncated chunk header")?;
        let size = le32(body, at + 4).ok_or("truncated chunk header")?;
        let padded = size.checked_add(size & 1).ok_or("chunk too long")?;
        let chunk_end = (at + 8).checked_add(padded).ok_or("chunk too long")?;
        let chunk = body.get(at..chunk_end).ok_or("truncated chunk")?;
        if first && !matches!(fourcc, b"VP8 " | b"VP8L" | b"VP8X") {
            return Err("the first chunk is not VP8, VP8L or VP8X");
        }
        if fourcc == b"VP8X" {
            if size < 10 || !first {
                return Err("a misplaced or short VP8X chunk");
            }
            let mut header = chunk.to_vec();
            header[8] &= !(VP8X_EXIF | VP8X_XMP);
            chunks.extend_from_slice(&header);
        } else if !matches!(fourcc, b"EXIF" | b"XMP ") {
            chunks.extend_from_slice(chunk);
        }
        first = false;
        at = chunk_end;
    }
    if first {
        return Err("no image chunk");
    }
    let size = u32::try_from(chunks.len() + 4).map_err(|_| "too large")?;
    let mut out = Vec::with_capacity(chunks.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    Ok(out)
}

#[cfg(test)]
#[path = "../../tests/api/helpers/images.rs"]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(ImageType::sniff(&jpeg(true)), Some(ImageType::Jpeg));
        assert_eq!(ImageType::sniff(&png(true)), Some(ImageType::Png));
        assert_eq!(ImageType::sniff(&webp(true)), Some(ImageType::Webp));
        assert_eq!(ImageType::sniff(b"GIF89a..."), None);
        assert_eq!(ImageType::sniff(b"hello, world"), None);
        assert_eq!(clean(b"%PDF-1.7\n"), Err(ImageError::Unsupported));
        assert_eq!(clean(b""), Err(ImageError::Unsupported));
    }

    #[test]
    fn jpeg_exif_gps_xmp_and_comments_are_stripped() {
        let input = jpeg(true);
        assert!(contains(&input, GPS_LATITUDE) && contains(&input, b"Exif\0\0"));
        let (kind, out) = clean(&input).unwrap();
        assert_eq!(kind, ImageType::Jpeg);
        for gone in [
            b"Exif\0\0".as_slice(),
            GPS_LATITUDE,
            b"http://ns.adobe.com/xap",
            COMMENT,
        ] {
            assert!(
                !contains(&out, gone),
                "{:?} survived",
                String::from_utf8_lossy(gone)
            );
        }
        assert!(contains(&out, b"JFIF\0"), "the JFIF header stays");
        assert!(contains(&out, b"ICC_PROFILE\0"), "the colour profile stays");
        assert_eq!(out, jpeg(false), "only the metadata went");
    }

    #[test]
    fn png_exif_and_text_chunks_are_stripped() {
        let (kind, out) = clean(&png(true)).unwrap();
        assert_eq!(kind, ImageType::Png);
        for gone in [
            b"eXIf".as_slice(),
            b"tEXt",
            b"iTXt",
            b"zTXt",
            b"tIME",
            GPS_LATITUDE,
        ] {
            assert!(
                !contains(&out, gone),
                "{:?} survived",
                String::from_utf8_lossy(gone)
            );
        }
        assert_eq!(out, png(false));
    }

    #[test]
    fn webp_exif_and_xmp_chunks_go_and_their_flags_are_cleared() {
        let input = webp(true);
        assert_eq!(input[20] & (VP8X_EXIF | VP8X_XMP), VP8X_EXIF | VP8X_XMP);
        let (kind, out) = clean(&input).unwrap();
        assert_eq!(kind, ImageType::Webp);
        assert!(
            !contains(&out, b"EXIF") && !contains(&out, b"XMP ") && !contains(&out, GPS_LATITUDE)
        );
        assert_eq!(out[20] & (VP8X_EXIF | VP8X_XMP), 0, "flags cleared");
        assert_eq!(out[20] & 0x10, 0x10, "the alpha flag stays");
        assert_eq!(
            le32(&out, 4),
            Some(out.len() - 8),
            "the RIFF size is rewritten"
        );
        assert_eq!(out, webp(false));
    }

    #[test]
    fn a_simple_webp_passes_unchanged() {
        let simple = simple_webp();
        assert_eq!(clean(&simple).unwrap().1, simple);
    }

    #[test]
    fn a_png_behind_a_jpeg_header_is_refused() {
        let mut forged = vec![0xFF, 0xD8, 0xFF];
        forged.extend_from_slice(&png(false));
        assert!(matches!(
            clean(&forged),
            Err(ImageError::Malformed(ImageType::Jpeg, _))
        ));
    }

    #[test]
    fn trailing_bytes_after_the_image_are_dropped() {
        for (image, clean_image) in [(jpeg(false), jpeg(false)), (png(false), png(false))] {
            let mut padded = image.clone();
            padded.extend_from_slice(b"secret trailer with GPS 29.55");
            assert_eq!(clean(&padded).unwrap().1, clean_image);
        }
    }

    #[test]
    fn headers_without_image_data_are_refused() {
        assert!(clean(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
        let mut only_header = PNG_SIGNATURE.to_vec();
        only_header.extend_from_slice(&png_chunk(b"IHDR", &[0; 13]));
        only_header.extend_from_slice(&png_chunk(b"IEND", &[]));
        assert!(clean(&only_header).is_err());
        assert!(clean(b"RIFF\x04\0\0\0WEBP").is_err());
    }

    /// Every prefix of every fixture, and many byte-flipped copies: errors, never panics.
    #[test]
    fn malformed_input_never_panics() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for image in [jpeg(true), png(true), webp(true), simple_webp()] {
            for len in 0..image.len() {
                let _ = clean(&image[..len]);
            }
            for _ in 0..3000 {
                let mut mutated = image.clone();
                for _ in 0..1 + next() % 4 {
                    let at = usize::try_from(next() % image.len() as u64).unwrap();
                    mutated[at] = u8::try_from(next() & 0xFF).unwrap();
                }
                let _ = clean(&mutated);
            }
        }
        for bad in [
            vec![0xFF, 0xD8, 0xFF],
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF],
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00],
            b"RIFF\xff\xff\xff\xffWEBPVP8X".to_vec(),
            b"RIFF\x10\0\0\0WEBPVP8 \xff\xff\xff\xff".to_vec(),
            [PNG_SIGNATURE, &[0xFF; 12]].concat(),
        ] {
            assert!(clean(&bad).is_err());
        }
    }
}
