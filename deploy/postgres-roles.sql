-- The local stack's database users: one login per service (password "dev-<service>-password"; the local
-- server trusts loopback connections anyway), each a member of the role its migrations grant its tables to
-- (shared/db/migrations.py). `make run` runs each service as its own user; a production database gets its
-- own users and passwords the same way (docs/security.md).
DO $$
DECLARE service text;
BEGIN
  FOREACH service IN ARRAY ARRAY['orchestrator', 'notifier', 'survey'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', 'offboarding_' || service);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
      EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', service, 'dev-' || service || '-password');
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    EXECUTE format('GRANT %I TO %I', 'offboarding_' || service, service);
  END LOOP;
END $$;
