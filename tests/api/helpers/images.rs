//! Crafted image files for the upload tests (unit tests in `src/uploads/image.rs` include this
//! file too): structurally valid JPEG, PNG and WebP files, with or without metadata that carries
//! a GPS position (Exif), XMP, comments and text chunks. The pixels are not meant to decode.
#![allow(dead_code)]

/// The GPS latitude of the Exif blocks: 29/1, 33/1, 2952/100 (29°33'29.52" N, Chongqing).
pub const GPS_LATITUDE: &[u8] = &[
    0, 0, 0, 29, 0, 0, 0, 1, 0, 0, 0, 33, 0, 0, 0, 1, 0, 0, 0x0B, 0x88, 0, 0, 0, 100,
];
/// The JPEG comment of [`jpeg`].
pub const COMMENT: &[u8] = b"shot at Jiefangbei 88, flat 1201";

/// A big-endian TIFF (Exif) structure: IFD0 pointing to a GPS IFD with the latitude.
pub fn exif_tiff() -> Vec<u8> {
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    // IFD0: one entry, GPSInfo (0x8825, LONG) -> offset 26.
    t.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    // GPS IFD at 26: GPSLatitudeRef "N", GPSLatitude (3 RATIONAL at 56).
    t.extend_from_slice(&[0, 2]);
    t.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(GPS_LATITUDE);
    t
}

const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description \
exif:GPSLatitude='29,33.492N' exif:GPSLongitude='106,34.632E'/></rdf:RDF></x:xmpmeta>";

fn jpeg_segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len() + 2).unwrap();
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(data);
    s
}

/// A baseline JPEG (1x1, one component); `meta` adds Exif with GPS, XMP and a comment.
pub fn jpeg(meta: bool) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend(jpeg_segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    if meta {
        j.extend(jpeg_segment(
            0xE1,
            &[b"Exif\0\0".as_slice(), &exif_tiff()].concat(),
        ));
        j.extend(jpeg_segment(
            0xE1,
            &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), XMP].concat(),
        ));
    }
    j.extend(jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01tiny-profile"));
    if meta {
        j.extend(jpeg_segment(0xFE, COMMENT));
    }
    let mut dqt = vec![0u8];
    dqt.extend(std::iter::repeat_n(1u8, 64));
    j.extend(jpeg_segment(0xDB, &dqt));
    j.extend(jpeg_segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    j.extend(jpeg_segment(
        0xC4,
        &[0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ));
    j.extend(jpeg_segment(0xDA, &[1, 1, 0, 0, 63, 0]));
    // Entropy-coded data with a stuffed 0xFF and a restart marker.
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

pub use super::png_chunk;

/// A 1x1 greyscale PNG; `meta` adds eXIf with GPS, tEXt, iTXt (XMP), zTXt and tIME chunks.
pub fn png(meta: bool) -> Vec<u8> {
    let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    p.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    if meta {
        p.extend(png_chunk(b"eXIf", &exif_tiff()));
        p.extend(png_chunk(b"tEXt", b"Comment\0shot at Jiefangbei 88"));
        p.extend(png_chunk(
            b"iTXt",
            &[b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), XMP].concat(),
        ));
        p.extend(png_chunk(b"zTXt", b"Author\0\0x\x9c\x03\0\0\0\0\x01"));
        p.extend(png_chunk(b"tIME", &[0x07, 0xEA, 11, 22, 9, 30, 0]));
    }
    // zlib stream of one filtered row: filter 0, pixel 0x80.
    p.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x01, 0x63, 0x68, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81],
    ));
    p.extend(png_chunk(b"IEND", &[]));
    p
}

fn riff_chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    c.extend_from_slice(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn riff(chunks: &[u8]) -> Vec<u8> {
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&u32::try_from(chunks.len() + 4).unwrap().to_le_bytes());
    w.extend_from_slice(b"WEBP");
    w.extend_from_slice(chunks);
    w
}

/// An extended WebP (VP8X with alpha, a VP8L image of odd size); `meta` adds EXIF with GPS and
/// XMP chunks and sets their VP8X flags.
pub fn webp(meta: bool) -> Vec<u8> {
    let flags = if meta { 0x10 | 0x08 | 0x04 } else { 0x10 };
    let mut chunks = riff_chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    chunks.extend(riff_chunk(
        b"VP8L",
        &[0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11],
    ));
    if meta {
        chunks.extend(riff_chunk(b"EXIF", &exif_tiff()));
        chunks.extend(riff_chunk(b"XMP ", XMP));
    }
    riff(&chunks)
}

/// A simple (lossy, VP8) WebP, which has no room for metadata.
pub fn simple_webp() -> Vec<u8> {
    riff(&riff_chunk(
        b"VP8 ",
        &[0x30, 0x01, 0, 0x9D, 0x01, 0x2A, 1, 0, 1, 0],
    ))
}
