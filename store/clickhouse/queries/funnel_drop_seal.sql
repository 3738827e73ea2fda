ALTER TABLE funnel_seals DROP PARTITION @generation
