//! One module per subcommand.

pub mod blocks;
pub mod inspect;
pub mod validate;
