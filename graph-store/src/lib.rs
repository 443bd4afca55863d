//! stategraph durable stores (under construction).
