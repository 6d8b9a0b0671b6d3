//! Field lengths, stated once. The API's validators, the migrations' column
//! sizes (checked by the db crate's schema test) and the docs follow these.

/// An audit event's action name (`login_failed`).
pub const AUDIT_ACTION_MAX: usize = 20;
/// An audit event's entity name (`operating-theatres`).
pub const AUDIT_ENTITY_MAX: usize = 40;
/// An audit event's record id (`17`, or `3/17` for a link).
pub const AUDIT_ENTITY_ID_MAX: usize = 64;
/// Names of departments, units, cadres, designations, roles, buildings,
/// floors and theatres.
pub const NAME_MAX: usize = 120;
/// Abbreviations (`abbr`) of departments, units, designations, buildings,
/// floors and theatres.
pub const ABBR_MAX: usize = 20;
/// A staff member's full name.
pub const FULL_NAME_MAX: usize = 150;
/// A staff member's employee id.
pub const EMPLOYEE_ID_MAX: usize = 32;
/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX: usize = 254;
/// E.164 allows 15 digits; a leading `+` makes 16, and stored numbers are
/// normalised (no spaces or dashes), so 20 leaves room.
pub const MOBILE_MAX: usize = 20;
/// The fewest digits a phone number may have, separators aside.
pub const MOBILE_DIGITS_MIN: usize = 7;
/// The most digits a phone number may have: E.164's limit.
pub const MOBILE_DIGITS_MAX: usize = 15;
/// A staff member's office address, line breaks included.
pub const OFFICE_ADDRESS_MAX: usize = 500;
/// A role's description, line breaks included.
pub const DESCRIPTION_MAX: usize = 500;
/// An account's username; the shortest is 3 characters.
pub const USERNAME_MAX: usize = 64;
/// The shortest password accepted.
pub const PASSWORD_MIN: usize = 8;
/// Long enough for passphrases and password managers; argon2 does not care.
pub const PASSWORD_MAX: usize = 256;
/// Room for a PHC-format argon2id string.
pub const PASSWORD_HASH_MAX: usize = 255;
/// An account's `uid`: a UUID in its hyphenated form.
pub const UID_LEN: usize = 36;
/// A department's kind as stored (`department`, `centre` or `facility`).
pub const DEPARTMENT_KIND_MAX: usize = 20;
/// A permission as stored (`directory:read`).
pub const PERMISSION_MAX: usize = 40;
/// Hex SHA-256 of a bearer token.
pub const TOKEN_HASH_LEN: usize = 64;
/// `u:<username>` or `a:<client address>`.
pub const ATTEMPT_KEY_MAX: usize = 200;
/// Why an account is inactive, as stored (`manual` or `end_date`).
pub const DEACTIVATION_REASON_MAX: usize = 20;
/// The fewest operating tables a theatre may have.
pub const TABLE_COUNT_MIN: i32 = 1;
/// The most operating tables a theatre may have.
pub const TABLE_COUNT_MAX: i32 = 50;
/// The lowest floor level; basements are below 0.
pub const FLOOR_LEVEL_MIN: i32 = -20;
/// The highest floor level.
pub const FLOOR_LEVEL_MAX: i32 = 200;

/// The longest text a field of this name may hold, wherever it appears: the
/// db crate's schema test holds every VARCHAR to it and the api crate writes
/// it into the OpenAPI document as `maxLength`. `*_key` columns share their
/// field's limit.
pub fn text_max(field: &str) -> Option<usize> {
    Some(match field.trim_end_matches("_key") {
        "name" => NAME_MAX,
        "abbr" => ABBR_MAX,
        "full_name" => FULL_NAME_MAX,
        "employee_id" => EMPLOYEE_ID_MAX,
        "email" | "email2" | "email3" => EMAIL_MAX,
        "mobile" | "mobile2" | "mobile3" => MOBILE_MAX,
        "office_address" => OFFICE_ADDRESS_MAX,
        "description" => DESCRIPTION_MAX,
        "username" => USERNAME_MAX,
        "password" | "new_password" | "current_password" => PASSWORD_MAX,
        "password_hash" => PASSWORD_HASH_MAX,
        "uid" => UID_LEN,
        "kind" => DEPARTMENT_KIND_MAX,
        "permission" => PERMISSION_MAX,
        "token_hash" => TOKEN_HASH_LEN,
        "attempt" => ATTEMPT_KEY_MAX,
        "deactivation_reason" => DEACTIVATION_REASON_MAX,
        "action" => AUDIT_ACTION_MAX,
        "entity" => AUDIT_ENTITY_MAX,
        "entity_id" => AUDIT_ENTITY_ID_MAX,
        _ => return None,
    })
}

/// The inclusive range of an integer field of this name.
pub fn int_range(field: &str) -> Option<(i32, i32)> {
    match field {
        "table_count" => Some((TABLE_COUNT_MIN, TABLE_COUNT_MAX)),
        "level" => Some((FLOOR_LEVEL_MIN, FLOOR_LEVEL_MAX)),
        _ => None,
    }
}

/// The shortest text a required field of this name accepts (after
/// trimming), for the document.
pub fn text_min(field: &str) -> Option<usize> {
    Some(match field {
        "name" | "full_name" | "employee_id" | "email" | "mobile" => 1,
        "username" => 3,
        "password" | "new_password" => PASSWORD_MIN,
        "current_password" => 1,
        _ => return None,
    })
}

/// Fields that may be `null`: optional columns (a patch's `null` clears
/// them) and optional parts of responses. Everything else is required
/// wherever it appears, and a patch may leave it out but not null it.
pub fn nullable(field: &str) -> bool {
    matches!(
        field,
        "abbr"
            | "description"
            | "email2"
            | "email3"
            | "mobile2"
            | "mobile3"
            | "office_address"
            | "unit_id"
            | "unit_name"
            | "supervisor_id"
            | "end_date"
            | "staff_id"
            | "created_by"
            | "updated_by"
            | "deactivated_at"
            | "deactivated_by"
            | "deactivation_reason"
            | "last_login_at"
            | "detail"
            | "errors"
            | "actor_id"
            | "version"
            | "before"
            | "after"
            | "data"
            | "next_after"
            | "start_date"
    )
}
