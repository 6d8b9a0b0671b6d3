// The diesel schema, kept by hand in backend-neutral types. A test
// (tests/schema.rs) compares it with every backend's migrated database.

diesel::table! {
    departments (id) {
        id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        kind -> Text,
        active -> Bool,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    units (id) {
        id -> Integer,
        department_id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    cadres (id) {
        id -> Integer,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    designations (id) {
        id -> Integer,
        cadre_id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    staff (id) {
        id -> Integer,
        full_name -> Text,
        employee_id -> Text,
        email -> Text,
        email_key -> Text,
        mobile -> Text,
        email2 -> Nullable<Text>,
        email3 -> Nullable<Text>,
        mobile2 -> Nullable<Text>,
        mobile3 -> Nullable<Text>,
        office_address -> Nullable<Text>,
        department_id -> Integer,
        unit_id -> Nullable<Integer>,
        designation_id -> Integer,
        supervisor_id -> Nullable<Integer>,
        end_date -> Nullable<Date>,
        active -> Bool,
        deactivated_at -> Nullable<Timestamp>,
        deactivated_by -> Nullable<Integer>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    staff_works_in (id) {
        id -> Integer,
        staff_id -> Integer,
        department_id -> Integer,
        start_date -> Date,
        end_date -> Nullable<Date>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    department_heads (id) {
        id -> Integer,
        department_id -> Integer,
        staff_id -> Integer,
        start_date -> Date,
        end_date -> Nullable<Date>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    unit_heads (id) {
        id -> Integer,
        unit_id -> Integer,
        staff_id -> Integer,
        start_date -> Date,
        end_date -> Nullable<Date>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    roles (id) {
        id -> Integer,
        name -> Text,
        name_key -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    role_permissions (role_id, permission) {
        role_id -> Integer,
        permission -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Integer,
        uid -> Text,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        staff_id -> Nullable<Integer>,
        active -> Bool,
        deactivated_at -> Nullable<Timestamp>,
        deactivated_by -> Nullable<Integer>,
        last_login_at -> Nullable<Timestamp>,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
        deactivation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        account_id -> Integer,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (attempt_key) {
        attempt_key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Integer>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        version -> Nullable<Integer>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        is_change -> Bool,
    }
}

diesel::table! {
    audit_sequence (id) {
        id -> Integer,
        last_id -> BigInt,
    }
}

diesel::table! {
    account_roles (account_id, role_id) {
        account_id -> Integer,
        role_id -> Integer,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
    }
}

diesel::table! {
    buildings (id) {
        id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    floors (id) {
        id -> Integer,
        building_id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        level -> Integer,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::table! {
    operating_theatres (id) {
        id -> Integer,
        floor_id -> Integer,
        name -> Text,
        name_key -> Text,
        abbr -> Nullable<Text>,
        table_count -> Integer,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Integer>,
        version -> Integer,
    }
}

diesel::joinable!(units -> departments (department_id));
diesel::joinable!(designations -> cadres (cadre_id));
diesel::joinable!(staff -> departments (department_id));
diesel::joinable!(staff -> units (unit_id));
diesel::joinable!(staff -> designations (designation_id));
diesel::joinable!(staff_works_in -> staff (staff_id));
diesel::joinable!(staff_works_in -> departments (department_id));
diesel::joinable!(department_heads -> departments (department_id));
diesel::joinable!(department_heads -> staff (staff_id));
diesel::joinable!(unit_heads -> units (unit_id));
diesel::joinable!(unit_heads -> staff (staff_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(accounts -> staff (staff_id));
diesel::joinable!(account_roles -> accounts (account_id));
diesel::joinable!(account_roles -> roles (role_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(floors -> buildings (building_id));
diesel::joinable!(operating_theatres -> floors (floor_id));

diesel::allow_tables_to_appear_in_same_query!(
    departments,
    units,
    cadres,
    designations,
    staff,
    staff_works_in,
    department_heads,
    unit_heads,
    roles,
    role_permissions,
    accounts,
    account_roles,
    sessions,
    login_attempts,
    audit_events,
    audit_sequence,
    buildings,
    floors,
    operating_theatres,
);
