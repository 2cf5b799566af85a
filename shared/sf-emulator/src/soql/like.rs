//! LIKE pattern matching.

use super::LikePart;

/// Whether `text` matches a LIKE pattern, case-insensitively as Salesforce does.
pub fn like_matches(pattern: &[LikePart], text: &str) -> bool {
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let pattern: Vec<LikePart> = pattern
        .iter()
        .flat_map(|p| match p {
            LikePart::Char(c) => c.to_lowercase().map(LikePart::Char).collect::<Vec<_>>(),
            other => vec![other.clone()],
        })
        .collect();
    // Classic wildcard matching with backtracking over the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < text.len() {
        match pattern.get(p) {
            Some(LikePart::One) => {
                t += 1;
                p += 1;
            }
            Some(LikePart::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(LikePart::Any) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|x| *x == LikePart::Any)
}
