//! Files as request bodies: a CSV or XLSX staff list to import, taken as
//! bytes (the import crate parses them) under its own media type, so the
//! document lists both and a wrong type is a 415.

use poem::{Request, RequestBody};
use poem_openapi::ApiRequest;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};

/// A file's bytes, as a body of media type `T::TYPE`: the body as it was
/// read, not a copy (a 20 MB file is held once).
pub struct File<T>(pub bytes::Bytes, std::marker::PhantomData<T>);

/// A media type a [`File`] body is sent as.
pub trait FileType: Send + Sync {
    const TYPE: &'static str;
}

pub struct CsvType;
impl FileType for CsvType {
    const TYPE: &'static str = directory_import::Format::CSV_TYPE;
}

pub struct XlsxType;
impl FileType for XlsxType {
    const TYPE: &'static str = directory_import::Format::XLSX_TYPE;
}

impl<T: FileType> Payload for File<T> {
    const CONTENT_TYPE: &'static str = T::TYPE;

    /// The media type with any parameters (`; charset=utf-8`) ignored.
    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(T::TYPE))
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("binary"),
            ..MetaSchema::new("string")
        }))
    }

    fn register(_registry: &mut Registry) {}
}

impl<T: FileType> ParsePayload for File<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        // A charset other than UTF-8 is named, not guessed at.
        let charset = request.content_type().and_then(|t| {
            t.split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        });
        if let Some(charset) = charset.filter(|c| c != "utf-8" && c != "utf8") {
            return Err(poem::Error::from_string(
                format!("the file must be UTF-8, not {charset}: save it as \"CSV UTF-8\""),
                poem::http::StatusCode::BAD_REQUEST,
            ));
        }
        let bytes = <bytes::Bytes as poem::FromRequest>::from_request(request, body).await?;
        Ok(Self(bytes, std::marker::PhantomData))
    }
}

/// A staff list to import.
#[derive(ApiRequest)]
pub enum StaffFile {
    /// CSV: UTF-8 (a BOM is fine), comma-separated, RFC 4180 quoting, the
    /// header row first.
    Csv(File<CsvType>),
    /// An Excel workbook (.xlsx); its first sheet is read.
    Xlsx(File<XlsxType>),
}

impl StaffFile {
    /// The bytes and their format.
    pub fn into_parts(self) -> (bytes::Bytes, directory_import::Format) {
        match self {
            Self::Csv(f) => (f.0, directory_import::Format::Csv),
            Self::Xlsx(f) => (f.0, directory_import::Format::Xlsx),
        }
    }
}
