//! A small `multipart/form-data` reader for the proof-of-payment form: text fields and one
//! file, from a body already capped by the scope's payload limit. The file's type is judged
//! by the domain from its bytes, not from what the browser declares.

use std::collections::BTreeMap;

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePart {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The parts of a form.
#[derive(Debug, Default)]
pub(crate) struct Multipart {
    pub fields: BTreeMap<String, String>,
    pub files: BTreeMap<String, FilePart>,
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `name="x"; filename="y"` parameters of a `Content-Disposition` header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Parses `body`; `None` when it is not well-formed multipart with this boundary.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Option<Multipart> {
    let delimiter = format!("--{boundary}");
    let mut out = Multipart::default();
    let mut pos = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(out);
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = std::str::from_utf8(body.get(pos..head_end)?).ok()?;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), head_end + 4)?;
        let content = body.get(head_end + 4..next)?;
        let mut disposition = None;
        let mut content_type = String::new();
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':')?;
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => disposition = Some(value.trim().to_owned()),
                "content-type" => value.trim().clone_into(&mut content_type),
                _ => {}
            }
        }
        let disposition = disposition?;
        let name = disposition_param(&disposition, "name")?;
        match disposition_param(&disposition, "filename") {
            Some(filename) if !filename.is_empty() || !content.is_empty() => {
                out.files.insert(
                    name,
                    FilePart {
                        filename,
                        content_type,
                        bytes: content.to_vec(),
                    },
                );
            }
            Some(_) => {} // an empty file input
            None => {
                out.fields
                    .insert(name, String::from_utf8_lossy(content).into_owned());
            }
        }
        pos = next + 2 + delimiter.len();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_a_binary_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"reference\"\r\n\r\nBT-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"proof\"; filename=\"r.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\x01\r\n--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n";
        let m = parse(body, "XyZ").unwrap();
        assert_eq!(m.fields["reference"], "BT-1");
        assert_eq!(m.files["proof"].bytes, b"\x89PNG\r\n\x00\x01");
        assert_eq!(m.files["proof"].filename, "r.png");
        assert_eq!(m.files["proof"].content_type, "image/png");
        assert!(!m.files.contains_key("empty"));
    }

    #[test]
    fn boundaries_and_broken_bodies() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----abc").as_deref(),
            Some("----abc")
        );
        assert_eq!(boundary("application/json"), None);
        assert!(parse(b"--b\r\nno headers end", "b").is_none());
    }
}
