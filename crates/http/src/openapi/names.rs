//! The paths the document is served at, and the names of its security
//! schemes.

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
/// The reference page; it redirects to [`DOCS_FILES`]'s index.
pub const DOCS_PATH: &str = "/docs";
/// The page and its assets (Swagger UI, embedded in the binary).
pub const DOCS_FILES: &str = "/docs/{file}";

/// The security scheme of the key as the query parameter `id`.
pub(super) const QUERY_KEY: &str = "query_key";
/// The security scheme of the key as `Authorization: Bearer`.
pub(super) const BEARER: &str = "bearer";
