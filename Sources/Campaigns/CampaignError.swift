import YAMLReading

/// A problem in an experiment script or a target list, located in its file: the shared
/// reader's error, `FILE:LINE: message` or `FILE: message` (see `SourceError`).
public typealias CampaignError = SourceError
