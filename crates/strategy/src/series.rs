//! Values flowing between steps: one number or one yes/no per bar.

/// A step output. Numbers are `NaN` where there is no value yet (warm-up, division by zero).
#[derive(Clone, Debug, PartialEq)]
pub enum Series {
    Number(Vec<f64>),
    Boolean(Vec<bool>),
}

impl Series {
    pub fn len(&self) -> usize {
        match self {
            Series::Number(v) => v.len(),
            Series::Boolean(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numbers; a yes/no series reads as 1/0.
    pub fn numbers(&self) -> std::borrow::Cow<'_, [f64]> {
        match self {
            Series::Number(v) => std::borrow::Cow::Borrowed(v),
            Series::Boolean(v) => {
                std::borrow::Cow::Owned(v.iter().map(|&b| f64::from(u8::from(b))).collect())
            }
        }
    }

    /// The yes/no values; a number series reads as "has a non-zero value".
    pub fn booleans(&self) -> std::borrow::Cow<'_, [bool]> {
        match self {
            Series::Boolean(v) => std::borrow::Cow::Borrowed(v),
            Series::Number(v) => {
                std::borrow::Cow::Owned(v.iter().map(|x| *x != 0.0 && !x.is_nan()).collect())
            }
        }
    }
}
