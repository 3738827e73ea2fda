ALTER TABLE funnel_sealed_levels DROP PARTITION @generation
