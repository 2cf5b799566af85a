//! Accounts: the validation rule deployed with the account terms
//! (`Storesync_Discount_Percent_Range`): a discount is a percentage from 0 to 100.

use crate::error::SfError;
use crate::org::fields::field;
use crate::org::{Org, Record};
use crate::schema::DISCOUNT_PERCENT;

/// The message the deployed validation rule shows under the discount field.
pub(crate) const DISCOUNT_RANGE_MESSAGE: &str = "The discount must be between 0 and 100 percent.";

/// Refuses a discount outside 0..=100 as the validation rule does.
pub(super) fn account(_: &mut Org, record: &mut Record, _: Option<&Record>) -> Result<(), SfError> {
    let discount = field(record, DISCOUNT_PERCENT).and_then(serde_json::Value::as_f64);
    if discount.is_some_and(|d| !(0.0..=100.0).contains(&d)) {
        return Err(SfError::new(
            400,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            DISCOUNT_RANGE_MESSAGE,
            &[DISCOUNT_PERCENT],
        ));
    }
    Ok(())
}
