//! Closed vocabularies shared by the knowledge base, the case model and the reports.
//!
//! Each enum is the contract's own vocabulary (`case-format.md`, `output-contract.md`);
//! its serde names are the snake_case ids used in files and JSON output.

use serde::{Deserialize, Serialize};

macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $id:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $id)] $variant),+ }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The id used in files and output.
            pub fn id(self) -> &'static str { match self { $($name::$variant => $id),+ } }
            /// Parses an id; `None` when it is not in the vocabulary.
            pub fn from_id(s: &str) -> Option<Self> { match s { $($id => Some($name::$variant),)+ _ => None } }
            /// All ids, comma-separated, for error messages.
            pub fn accepted() -> String { [$($id),+].join(", ") }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.id()) }
        }
    };
}

vocab! {
    /// Treatment options (`case-format.md`, "Option vocabulary").
    OptionId {
        SurgeryTotalThyroidectomy => "surgery_total_thyroidectomy",
        AdjuvantChemoradiation => "adjuvant_chemoradiation",
        ChemoradiationDefinitive => "chemoradiation_definitive",
        DabrafenibTrametinib => "dabrafenib_trametinib",
        NeoadjuvantDabrafenibTrametinib => "neoadjuvant_dabrafenib_trametinib",
        Larotrectinib => "larotrectinib",
        Entrectinib => "entrectinib",
        Repotrectinib => "repotrectinib",
        Selpercatinib => "selpercatinib",
        Pralsetinib => "pralsetinib",
        Crizotinib => "crizotinib",
        Pembrolizumab => "pembrolizumab",
        ImmunotherapyCombinationTrial => "immunotherapy_combination_trial",
        PaclitaxelCarboplatin => "paclitaxel_carboplatin",
        PaclitaxelWeekly => "paclitaxel_weekly",
        DocetaxelDoxorubicin => "docetaxel_doxorubicin",
        DoxorubicinCisplatin => "doxorubicin_cisplatin",
        Doxorubicin => "doxorubicin",
        PalliativeRadiotherapy => "palliative_radiotherapy",
        BestSupportiveCare => "best_supportive_care",
        ClinicalTrial => "clinical_trial",
        Lenvatinib => "lenvatinib",
    }
}

vocab! {
    /// Treatment modalities that a patient may decline or be unfit for.
    Modality {
        Surgery => "surgery",
        Radiotherapy => "radiotherapy",
        Chemotherapy => "chemotherapy",
        Immunotherapy => "immunotherapy",
        TargetedTherapy => "targeted_therapy",
    }
}

vocab! {
    /// Intent of a treatment option.
    Intent { Curative => "curative", DiseaseControl => "disease_control", Palliative => "palliative" }
}

vocab! {
    /// Alert severity.
    Severity { Critical => "critical", Warning => "warning", Info => "info" }
}

vocab! {
    /// Alert ids (`output-contract.md` plus fast-track and safety alerts).
    AlertId {
        AirwayCompromise => "airway_compromise",
        MolecularResultsPending => "molecular_results_pending",
        PoorPerformanceStatus => "poor_performance_status",
        PalliativeGoals => "palliative_goals",
        LenvatinibBleedingRisk => "lenvatinib_bleeding_risk",
        BrainMetastases => "brain_metastases",
        RenalImpairment => "renal_impairment",
        MissingExpertReview => "missing_expert_review",
        StagingIncomplete => "staging_incomplete",
        FastTrackOverdue => "fast_track_overdue",
        BrafMekHeldDuringRadiotherapy => "braf_mek_held_during_radiotherapy",
        HistologyNotAnaplastic => "histology_not_anaplastic",
        CardiacFunction => "cardiac_function",
        CumulativeAnthracycline => "cumulative_anthracycline",
        HepaticImpairment => "hepatic_impairment",
        SevereRenalImpairment => "severe_renal_impairment",
        PharmacistReview => "pharmacist_review",
        DoseNotComputable => "dose_not_computable",
        LabUnitCheck => "lab_unit_check",
        UnrecognisedDrug => "unrecognised_drug",
        KinaseRearrangementPartnerUnknown => "kinase_rearrangement_partner_unknown",
        CoverageNotShown => "coverage_not_shown",
        BrafDiscordant => "braf_discordant",
        MsiContradiction => "msi_contradiction",
    }
}

vocab! {
    /// Work-up item ids (`output-contract.md`): the molecular test ids plus the clinical items.
    WorkupId {
        ExpertPathologyReview => "expert_pathology_review",
        BrafV600eIhc => "braf_v600e_ihc",
        BrafV600ePcr => "braf_v600e_pcr",
        NgsDna => "ngs_dna",
        NgsRna => "ngs_rna",
        PdL1Ihc => "pd_l1_ihc",
        MmrIhc => "mmr_ihc",
        MsiPcr => "msi_pcr",
        Tmb => "tmb",
        StagingImaging => "staging_imaging",
        AirwayAssessment => "airway_assessment",
        GoalsOfCareDiscussion => "goals_of_care_discussion",
        PerformanceStatus => "performance_status",
        ResectabilityAssessment => "resectability_assessment",
        BrafConfirmation => "braf_confirmation",
    }
}

vocab! {
    /// Decision rules of the pathway (`clinical-pathway.md` §2-§5). Each has a KB entry with its source.
    RuleId {
        PalliativeFocus => "palliative_focus",
        LocoregionalResectable => "locoregional_resectable",
        UnresectableBrafRtFeasible => "unresectable_braf_rt_feasible",
        UnresectableBrafNoRt => "unresectable_braf_no_rt",
        UnresectableNoBraf => "unresectable_no_braf",
        SystemicBraf => "systemic_braf",
        SystemicNtrk => "systemic_ntrk",
        SystemicRet => "systemic_ret",
        SystemicAlk => "systemic_alk",
        SystemicMsiTmb => "systemic_msi_tmb",
        SystemicPdL1High => "systemic_pd_l1_high",
        SystemicNoTarget => "systemic_no_target",
        AirwayChemoradiation => "airway_chemoradiation",
        Bridging => "bridging",
        LenvatinibNever => "lenvatinib_never",
        SurgeryNotInMetastatic => "surgery_not_in_metastatic",
        WeeklySchedules => "weekly_schedules",
        BrafMekHeldDuringRt => "braf_mek_held_during_rt",
        TrialsEncouraged => "trials_encouraged",
        BrainMetastases => "brain_metastases",
    }
}

vocab! {
    /// Biomarker a trial requires (`clinical-pathway.md` §6).
    TrialBiomarker {
        None => "none",
        BrafV600e => "braf_v600e",
        RetAlteration => "ret_alteration",
        RasNf1Nf2 => "ras_nf1_nf2",
        AnyByCohort => "any_by_cohort",
    }
}

vocab! {
    /// Setting a trial enrols in.
    TrialSetting { Neoadjuvant => "neoadjuvant", Advanced => "advanced", Relapsed => "relapsed" }
}

vocab! {
    /// Timeline event kinds (`case-format.md`).
    EventKind {
        FirstContact => "first_contact",
        Referral => "referral",
        Biopsy => "biopsy",
        PathologyConfirmed => "pathology_confirmed",
        BrafResult => "braf_result",
        NgsResult => "ngs_result",
        Mdt => "mdt",
        TreatmentStart => "treatment_start",
        Surgery => "surgery",
        RadiotherapyStart => "radiotherapy_start",
        RadiotherapyEnd => "radiotherapy_end",
        SystemicStart => "systemic_start",
        ResponseAssessment => "response_assessment",
        Progression => "progression",
        Death => "death",
        LastFollowUp => "last_follow_up",
    }
}
