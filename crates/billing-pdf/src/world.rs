//! The Typst world of one rendering: the embedded template as the only source, the
//! document's data as `/data.json`, an optional logo, the embedded fonts. Nothing is read
//! from the filesystem or the network, so a template can only see what we hand it.

use std::path::PathBuf;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The invoice template.
const TEMPLATE: &str = include_str!("../templates/invoice.typ");

/// DejaVu Sans (Latin, Greek, Cyrillic, currency signs), regular and bold.
const FONTS: [&[u8]; 2] = [
    include_bytes!("../fonts/DejaVuSans.ttf"),
    include_bytes!("../fonts/DejaVuSans-Bold.ttf"),
];

/// What every rendering shares: the standard library and the parsed fonts.
pub(crate) struct Assets {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    data: FileId,
}

/// The file id of `path` in the project root.
fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable!("a constant path"));
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

impl Assets {
    /// Parses the embedded fonts once.
    pub(crate) fn load() -> Self {
        let fonts: Vec<Font> = FONTS
            .iter()
            .flat_map(|bytes| Font::iter(Bytes::new(*bytes)))
            .collect();
        Self {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: file_id("/invoice.typ"),
            data: file_id("/data.json"),
        }
    }

    /// How many fonts were parsed (a broken embed would leave none).
    pub(crate) fn font_count(&self) -> usize {
        self.fonts.len()
    }
}

/// One rendering's world.
pub(crate) struct InvoiceWorld<'a> {
    assets: &'a Assets,
    main: Source,
    data: Bytes,
    logo: Option<(FileId, Bytes)>,
}

impl<'a> InvoiceWorld<'a> {
    /// A world whose `/data.json` is `data`, with the logo at `/logo.<ext>` if given.
    pub(crate) fn new(assets: &'a Assets, data: Vec<u8>, logo: Option<(&str, Bytes)>) -> Self {
        Self {
            assets,
            main: Source::new(assets.main, TEMPLATE.to_owned()),
            data: Bytes::new(data),
            logo: logo.map(|(path, bytes)| (file_id(path), bytes)),
        }
    }
}

impl World for InvoiceWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.assets.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.assets.book
    }

    fn main(&self) -> FileId {
        self.assets.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.assets.main {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.assets.data {
            return Ok(self.data.clone());
        }
        match &self.logo {
            Some((logo, bytes)) if *logo == id => Ok(bytes.clone()),
            _ => Err(FileError::NotFound(PathBuf::from(
                "only /data.json and the logo exist",
            ))),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.assets.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The template prints the document's own dates, never "today": output depends on
        // the invoice only.
        None
    }
}
