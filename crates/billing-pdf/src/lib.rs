//! Invoice PDFs rendered in-process with Typst as a library (`billing-domain`'s
//! [`InvoiceRenderer`] port). The template and the fonts are compiled into the binary; the
//! document goes in as JSON data read by the template (`json("/data.json")`), never pasted
//! into template source, so no customer text can act as markup. The PDF is dated with the
//! invoice's issue instant and identified by its id, so the same document renders to the
//! same bytes.

mod world;

use std::sync::Arc;

use billing_domain::entities::InvoiceDocument;
use billing_domain::ports::{InvoiceRenderer, RenderError};
use typst::foundations::{Bytes, Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use world::{Assets, InvoiceWorld};

/// The template source, for the version hash.
const TEMPLATE_SOURCE: &str = include_str!("../templates/invoice.typ");

/// A seller's logo printed at the top of every invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `png`, `jpg` or `svg`.
    pub format: String,
    /// The image.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// A logo from a file's bytes, its format from the file name's extension.
    pub fn from_file(name: &str, bytes: Vec<u8>) -> Result<Self, RenderError> {
        let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        let format = match ext.as_str() {
            "png" => "png",
            "jpg" | "jpeg" => "jpg",
            "svg" => "svg",
            _ => {
                return Err(RenderError(format!(
                    "logo {name}: use a .png, .jpg or .svg file"
                )));
            }
        };
        Ok(Self {
            format: format.into(),
            bytes,
        })
    }
}

/// Renders invoices with the embedded Typst template.
#[derive(Clone)]
pub struct TypstRenderer {
    assets: Arc<Assets>,
    logo: Option<Logo>,
    version: String,
}

impl Default for TypstRenderer {
    fn default() -> Self {
        Self::new(None)
    }
}

impl TypstRenderer {
    /// A renderer printing `logo`, if any.
    pub fn new(logo: Option<Logo>) -> Self {
        let mut hash = Fnv::default();
        hash.write(TEMPLATE_SOURCE.as_bytes());
        if let Some(l) = &logo {
            hash.write(&l.bytes);
        }
        Self {
            assets: Arc::new(Assets::load()),
            logo,
            version: format!("typst-{:016x}", hash.0),
        }
    }

    /// Renders `doc` on the calling thread (see [`InvoiceRenderer::render`] for async code).
    pub fn render_now(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
        if self.assets.font_count() == 0 {
            return Err(RenderError("no embedded font could be read".into()));
        }
        let logo_path = self.logo.as_ref().map(|l| format!("/logo.{}", l.format));
        let mut data = serde_json::to_value(doc).map_err(|e| RenderError(e.to_string()))?;
        data["logo"] = serde_json::json!(logo_path);
        let data = serde_json::to_vec(&data).map_err(|e| RenderError(e.to_string()))?;
        let logo = self
            .logo
            .as_ref()
            .zip(logo_path.as_deref())
            .map(|(l, path)| (path, Bytes::new(l.bytes.clone())));
        let world = InvoiceWorld::new(&self.assets, data, logo);
        let compiled = typst::compile::<PagedDocument>(&world).output;
        let document = compiled.map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|d| d.message.to_string()).collect();
            RenderError(messages.join("; "))
        })?;
        let t = doc.dated.to_offset(time::UtcOffset::UTC);
        let dated = Datetime::from_ymd_hms(
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        );
        let options = PdfOptions {
            ident: Smart::Custom(doc.invoice_id.clone()),
            timestamp: dated.map(Timestamp::new_utc),
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&document, &options).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|d| d.message.to_string()).collect();
            RenderError(messages.join("; "))
        });
        // Typst memoizes across compilations; keep only what recent renderings used.
        typst::comemo::evict(8);
        pdf
    }
}

#[async_trait::async_trait]
impl InvoiceRenderer for TypstRenderer {
    fn version(&self) -> &str {
        &self.version
    }

    async fn render(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
        // Typesetting takes tens of milliseconds of CPU: off the async workers.
        let (renderer, doc) = (self.clone(), doc.clone());
        tokio::task::spawn_blocking(move || renderer.render_now(&doc))
            .await
            .map_err(|e| RenderError(format!("rendering task failed: {e}")))?
    }
}

/// FNV-1a, 64 bit: a stable hash of the template (and logo) for the version key.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
