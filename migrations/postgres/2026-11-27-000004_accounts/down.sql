DROP TABLE account_roles;
DROP TABLE accounts;
DROP TABLE role_permissions;
DROP TABLE roles;
