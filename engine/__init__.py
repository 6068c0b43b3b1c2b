"""Pure computation: domain dataclasses, symbols, order-book maths. No I/O imports here."""
