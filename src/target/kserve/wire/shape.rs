//! A v2 input's shape as the model describes it (`GET /v2/models/{m}`'s
//! `inputs[].shape`, -1 for a dimension of any size) and whether its first
//! dimension is the batch (`/v2/models/{m}/config`'s `max_batch_size`, where
//! the server serves one), and the shape a request's tensor takes in it:
//! the batch dimension filled with the batch size (1), the tensor's
//! elements laid out row-major in the remaining dimensions where they fit.

use std::fmt::Write;

/// The batch size every request sends.
pub const BATCH_SIZE: i64 = 1;

/// An input's shape and batching, as the server describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputShape {
    /// The metadata's dimensions, batch dimension included where the model
    /// batches; None where the metadata gave none (the flags named the
    /// input): the tensor is sent flat, `[elements]`.
    pub dims: Option<Vec<i64>>,
    pub batch: Batch,
}

/// Whether the first dimension is the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    /// The model's config says `max_batch_size` N > 0 (Triton): the
    /// metadata's first dimension is the batch.
    Batched(u32),
    /// The model's config says `max_batch_size` 0: no batch dimension.
    Unbatched,
    /// The server serves no config: a leading -1 with more dimensions
    /// after it is taken as the batch (Triton's and KServe's convention); a
    /// shape of one -1 is a vector of any length.
    Unknown,
}

/// How many elements a tensor holds: known before any image is made, or
/// varying with the image (a JPEG's bytes as a UINT8 vector).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elements {
    Fixed(usize),
    Varying,
}

/// The value a dimension of any size has in the metadata.
const ANY: i64 = -1;

impl InputShape {
    /// No metadata: the tensor goes flat, as `[elements]`.
    pub fn flat() -> InputShape {
        InputShape {
            dims: None,
            batch: Batch::Unbatched,
        }
    }

    /// The shape a tensor of `elements` is sent with, or why it does not
    /// fit (words to follow "the model's input `x` ..."). With
    /// `Elements::Varying` the dimension that takes the count is -1.
    pub fn fit(&self, elements: Elements) -> Result<Vec<i64>, String> {
        let Some(dims) = &self.dims else {
            return Ok(vec![count_dim(elements)]);
        };
        let no_fit = |why: String| format!("has shape {}: {why}", self.describe());
        let (mut shape, rest) = match self.batch_dim(dims) {
            Some(&first) if first != ANY && first != BATCH_SIZE => {
                return Err(no_fit(format!(
                    "its batch dimension is fixed at {first}; a request sends a batch of \
                     {BATCH_SIZE}"
                )))
            }
            Some(_) => (vec![BATCH_SIZE], &dims[1..]),
            None => (Vec::new(), &dims[..]),
        };
        if let Some(bad) = rest.iter().find(|&&d| d < ANY) {
            return Err(no_fit(format!("{bad} is not a dimension")));
        }
        let fixed = rest
            .iter()
            .filter(|&&d| d >= 0)
            .try_fold(1i64, |product, &d| product.checked_mul(d))
            .ok_or_else(|| no_fit("its size overflows".into()))?;
        let last_any = rest.iter().rposition(|&d| d == ANY);
        let fill = match (elements, last_any) {
            (Elements::Fixed(n), None) if i64::try_from(n) == Ok(fixed) => None,
            (Elements::Fixed(n), Some(_)) if fixed > 0 && (n as i64) % fixed == 0 => {
                Some(n as i64 / fixed)
            }
            (Elements::Varying, Some(_)) if fixed == 1 => Some(ANY),
            (Elements::Fixed(n), _) => {
                return Err(no_fit(format!("{n} element(s) do not fill it")));
            }
            (Elements::Varying, _) => {
                return Err(no_fit(
                    "a tensor whose length varies with the image fills no fixed dimensions".into(),
                ));
            }
        };
        shape.extend(rest.iter().enumerate().map(|(i, &d)| match d {
            ANY if Some(i) == last_any => fill.unwrap_or(ANY),
            ANY => 1,
            d => d,
        }));
        Ok(shape)
    }

    /// The metadata's batch dimension, where it has one.
    fn batch_dim<'a>(&self, dims: &'a [i64]) -> Option<&'a i64> {
        match self.batch {
            Batch::Batched(_) => dims.first(),
            Batch::Unbatched => None,
            Batch::Unknown => dims.first().filter(|&&d| d == ANY && dims.len() > 1),
        }
    }

    /// `[-1, 1] (batch first: max_batch_size 8)`, for messages.
    pub fn describe(&self) -> String {
        let Some(dims) = &self.dims else {
            return "(none given)".into();
        };
        let mut text = format!("{dims:?}");
        match self.batch {
            Batch::Batched(n) => {
                let _ = write!(
                    text,
                    " (the first dimension is the batch: max_batch_size {n})"
                );
            }
            Batch::Unbatched => text.push_str(" (max_batch_size 0: no batch dimension)"),
            Batch::Unknown if self.batch_dim(dims).is_some() => {
                text.push_str(" (the leading -1 taken as the batch; the server serves no config)")
            }
            Batch::Unknown => {}
        }
        text
    }
}

/// A flat tensor's one dimension.
fn count_dim(elements: Elements) -> i64 {
    match elements {
        Elements::Fixed(n) => n as i64,
        Elements::Varying => ANY,
    }
}

/// `shape` with its -1 (the varying dimension) set to `elements`.
pub fn with_count(shape: &[i64], elements: usize) -> Vec<i64> {
    shape
        .iter()
        .map(|&d| if d == ANY { elements as i64 } else { d })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[i64], batch: Batch) -> InputShape {
        InputShape {
            dims: Some(dims.to_vec()),
            batch,
        }
    }

    const ONE: Elements = Elements::Fixed(1);

    #[test]
    fn one_bytes_element_fills_the_batch_and_a_one_or_any_dimension() {
        let batched = Batch::Batched(8);
        assert_eq!(shape(&[-1, 1], batched).fit(ONE).unwrap(), [1, 1]);
        assert_eq!(shape(&[-1, -1], batched).fit(ONE).unwrap(), [1, 1]);
        assert_eq!(shape(&[1], Batch::Unbatched).fit(ONE).unwrap(), [1]);
        assert_eq!(shape(&[-1], Batch::Unbatched).fit(ONE).unwrap(), [1]);
        assert_eq!(shape(&[-1], batched).fit(ONE).unwrap(), [1]);
        assert_eq!(shape(&[-1, 1], Batch::Unknown).fit(ONE).unwrap(), [1, 1]);
        assert_eq!(
            shape(&[1, 1, -1], Batch::Unbatched).fit(ONE).unwrap(),
            [1, 1, 1]
        );
        assert_eq!(InputShape::flat().fit(ONE).unwrap(), [1]);
    }

    #[test]
    fn a_varying_vector_takes_the_last_any_dimension() {
        let varying = Elements::Varying;
        let batched = Batch::Batched(4);
        assert_eq!(shape(&[-1, -1], batched).fit(varying).unwrap(), [1, -1]);
        assert_eq!(shape(&[-1], Batch::Unknown).fit(varying).unwrap(), [-1]);
        assert_eq!(with_count(&[1, -1], 5000), [1, 5000]);
        assert_eq!(InputShape::flat().fit(varying).unwrap(), [-1]);
        assert_eq!(
            shape(&[-1, 1, -1], batched).fit(varying).unwrap(),
            [1, 1, -1]
        );
        let err = shape(&[-1, 1], batched).fit(varying).unwrap_err();
        assert!(err.contains("varies"), "{err}");
    }

    #[test]
    fn a_shape_no_image_fits_is_refused_naming_it() {
        let pixels = shape(&[-1, 224, 224, 3], Batch::Batched(8));
        let err = pixels.fit(Elements::Varying).unwrap_err();
        assert!(
            err.starts_with("has shape [-1, 224, 224, 3] (the first dimension is the batch"),
            "{err}"
        );
        let err = pixels.fit(ONE).unwrap_err();
        assert!(err.contains("1 element(s) do not fill it"), "{err}");
        let pair = shape(&[2], Batch::Unbatched);
        assert!(pair.fit(ONE).is_err());
        assert_eq!(pair.fit(Elements::Fixed(2)).unwrap(), [2]);
        let fixed_batch = shape(&[4, 1], Batch::Batched(4));
        let err = fixed_batch.fit(ONE).unwrap_err();
        assert!(err.contains("fixed at 4"), "{err}");
        let err = shape(&[-2], Batch::Unbatched).fit(ONE).unwrap_err();
        assert!(err.contains("-2 is not a dimension"), "{err}");
        let huge = shape(&[i64::MAX, 4], Batch::Unbatched);
        assert!(huge.fit(ONE).unwrap_err().contains("overflows"));
        let basic = shape(&[-1, 100], Batch::Unknown);
        assert_eq!(basic.fit(Elements::Fixed(100)).unwrap(), [1, 100]);
        assert!(shape(&[0, -1], Batch::Unbatched).fit(ONE).is_err());
    }
}
