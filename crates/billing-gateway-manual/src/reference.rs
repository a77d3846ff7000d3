//! Payment references payers type into a bank transfer or wallet memo.
//!
//! Format `XXXX-XXXX-C`: eight random symbols and one check symbol, from Crockford's base-32
//! alphabet without `Z` (no I, L, O, U, Z: nothing looks alike), i.e. 31 symbols — a prime, so
//! the weighted check `c = Σ (i + 2) · v_i mod 31` catches every single-symbol typo and every
//! swap of two adjacent different symbols, check symbol included (a weight difference and a
//! value difference are both non-zero mod a prime). Luhn mod 32 was tried first and misses
//! swapping `0` and `Y`. About 39.6 random bits. Parsing is forgiving the way Crockford
//! intends: case, spaces and dashes are ignored, `O` reads as `0` and `I`/`L` as `1`.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKMNPQRSTVWXY";
const N: u32 = 31;

fn value(c: u8) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// Weighted mod-31 check symbol for `body` (symbols as values): weights 2, 3, …, 9.
fn check_value(body: &[u32]) -> u32 {
    body.iter().zip(2..).map(|(&v, w)| v * w).sum::<u32>() % N
}

/// A valid payment reference, normalised to `XXXX-XXXX-C`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PaymentReference(String);

/// Why a typed reference is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceError {
    /// Wrong length or a symbol outside the alphabet.
    Malformed,
    /// Every symbol is valid but the check symbol does not match: a typo.
    CheckFailed,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "a payment reference has 9 symbols, like K7M3-9QXP-4",
            Self::CheckFailed => {
                "this payment reference has a typo (its check symbol does not match)"
            }
        })
    }
}

impl PaymentReference {
    /// A fresh random reference.
    pub fn generate() -> Self {
        let body: Vec<u32> = (0..8).map(|_| rand::random_range(0..N)).collect();
        Self::from_body(&body)
    }

    fn from_body(body: &[u32]) -> Self {
        let check = check_value(body);
        let sym = |v: u32| char::from(ALPHABET[v as usize]);
        let s: String = body.iter().map(|&v| sym(v)).collect();
        Self(format!("{}-{}-{}", &s[..4], &s[4..], sym(check)))
    }

    /// Parses what a payer typed.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let values: Vec<u32> = text
            .bytes()
            .filter(|b| !matches!(b, b'-' | b' '))
            .map(value)
            .collect::<Option<Vec<u32>>>()
            .ok_or(ReferenceError::Malformed)?;
        if values.len() != 9 {
            return Err(ReferenceError::Malformed);
        }
        let (body, check) = values.split_at(8);
        if check_value(body) != check[0] {
            return Err(ReferenceError::CheckFailed);
        }
        Ok(Self::from_body(body))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_forgivingly() {
        let r = PaymentReference::generate();
        assert_eq!(
            PaymentReference::parse(&r.as_str().to_lowercase()).unwrap(),
            r
        );
        assert_eq!(
            PaymentReference::parse(&r.as_str().replace('-', " ")).unwrap(),
            r
        );
        assert_eq!(
            PaymentReference::parse("").unwrap_err(),
            ReferenceError::Malformed
        );
        assert_eq!(
            PaymentReference::parse("ZZZZ-ZZZZ-Z").unwrap_err(),
            ReferenceError::Malformed
        );
    }

    proptest! {
        #[test]
        fn every_single_symbol_typo_is_caught(body in prop::collection::vec(0..N, 8), pos in 0usize..9, delta in 1..N) {
            let r = PaymentReference::from_body(&body);
            let mut syms: Vec<u32> = r.as_str().bytes().filter(|b| *b != b'-').map(|b| value(b).unwrap()).collect();
            syms[pos] = (syms[pos] + delta) % N;
            let typed: String = syms.iter().map(|&v| char::from(ALPHABET[v as usize])).collect();
            prop_assert!(PaymentReference::parse(&typed).is_err());
        }

        #[test]
        fn every_adjacent_swap_of_different_symbols_is_caught(body in prop::collection::vec(0..N, 8), pos in 0usize..8) {
            let r = PaymentReference::from_body(&body);
            let mut syms: Vec<u8> = r.as_str().bytes().filter(|b| *b != b'-').collect();
            prop_assume!(syms[pos] != syms[pos + 1]);
            syms.swap(pos, pos + 1);
            prop_assert!(PaymentReference::parse(std::str::from_utf8(&syms).unwrap()).is_err());
        }
    }
}
