-- klage schema 12: the lifecycle the data was written by: the names of its
-- states, events and roles. A store opened by a workflow whose lifecycle
-- lacks one of them is refused (store.LifecycleError): it could not read
-- what is stored. A compatible extension adds its names. The table is
-- filled from the data the first time a store opens on schema 12.
CREATE TABLE klage_lifecycle (
    kind TEXT NOT NULL, -- state, event or role
    name TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
