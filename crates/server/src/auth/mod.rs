//! Authentication: password hashing, our own tokens, Supabase tokens, and the extractors
//! that tell handlers who is calling.

pub mod extractor;
pub mod password;
pub mod policy;
pub mod supabase;
pub mod tokens;
pub mod totp;
