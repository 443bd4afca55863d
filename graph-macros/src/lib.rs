//! stategraph macros (under construction).
