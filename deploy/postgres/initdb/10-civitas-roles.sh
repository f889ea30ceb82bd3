#!/usr/bin/env bash
# Creates one login role and one schema per civitas service in the database
# $POSTGRES_DB ("civitas"). Run by the postgres image's entrypoint, once, when it
# initialises an empty data volume (/docker-entrypoint-initdb.d); the passwords come
# from <SERVICE>_DB_PASSWORD (docker-compose.yml, deploy/compose.env.example).
#
# Each service owns its schema (named like the service; a role's default search_path
# "$user", public finds it first). The roles may connect to the database and create
# schemas in it (the services run CREATE SCHEMA IF NOT EXISTS at startup, which
# PostgreSQL checks against the database's CREATE privilege even when the schema
# exists), but none can read or write another service's schema, and PUBLIC may not
# connect at all.
set -euo pipefail

db=${POSTGRES_DB:?}
psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:?}" --dbname "$db")

"${psql[@]}" -v db="$db" <<'SQL'
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL

for service in residents activities volunteering safety projection; do
    var="${service^^}_DB_PASSWORD"
    password=${!var:-}
    if [ -z "$password" ]; then
        echo "10-civitas-roles.sh: $var is not set" >&2
        exit 1
    fi
    "${psql[@]}" -v db="$db" -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
GRANT CONNECT, CREATE ON DATABASE :"db" TO :"role";
CREATE SCHEMA :"role" AUTHORIZATION :"role";
SQL
    echo "10-civitas-roles.sh: role and schema $service created"
done
